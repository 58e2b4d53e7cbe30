#!/usr/bin/env bash
# Copyright The workloads-apiserver Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Builds the upstream binaries that the local cluster, the integration tests,
# the end-to-end tests and the benchmarks run against, and links them into
# _output/bin:
#
#   etcd                     go.etcd.io/etcd/server/v3       (hack/tools/etcd)
#   kube-apiserver           k8s.io/kubernetes/cmd/...       (hack/tools/kube)
#   kube-controller-manager  k8s.io/kubernetes/cmd/...       (hack/tools/kube)
#   kube-scheduler           k8s.io/kubernetes/cmd/...       (hack/tools/kube)
#   kubectl                  k8s.io/kubernetes/cmd/...       (hack/tools/kube)
#   kwok                     sigs.k8s.io/kwok/cmd/kwok       (hack/tools/kwok)
#   metrics-server           sigs.k8s.io/metrics-server/...  (hack/tools/metrics-server)
#   helm                     helm.sh/helm/v4/cmd/helm        (hack/tools/helm)
#   golangci-lint            github.com/golangci/golangci-lint/v2/cmd/golangci-lint
#                                                            (hack/tools/golangci-lint)
#   logcheck                 sigs.k8s.io/logtools/logcheck   (hack/tools/logcheck)
#
# Versions are pinned by the go.mod/go.sum of each module under hack/tools.
# Binaries are kept in a per-user cache keyed by name and version,
#   ${XDG_CACHE_HOME:-$HOME/.cache}/workloads-apiserver/tools/<name>-<version>/
# so a fresh clone (for example a CI checkout) only creates symlinks. A binary is
# rebuilt only when it is missing or when its pinned version (or the go.sum of
# its tools module) changed; a stamp file next to it records what it was built
# from. Builds run one at a time.
#
# Usage:
#   hack/install-tools.sh [--force] [--list] [name...]
#
#   name...   only these tools (default: all)
#   --force   rebuild even if the cache is up to date
#   --list    print each tool, its version and cache state, build nothing
#
# Environment:
#   GO                       go command to use (default: go)
#   WORKLOADS_TOOLS_CACHE    cache directory (default as above)
#   WORKLOADS_TOOLS_BIN      where links are created (default: _output/bin)

set -o errexit
set -o nounset
set -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
TOOLS_DIR="${ROOT}/hack/tools"
GO="${GO:-go}"
CACHE_ROOT="${WORKLOADS_TOOLS_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/workloads-apiserver/tools}"
BIN_DIR="${WORKLOADS_TOOLS_BIN:-${ROOT}/_output/bin}"

# name|tools module dir|module that carries the version|package|ldflags kind
TOOLS=(
  "etcd|etcd|go.etcd.io/etcd/server/v3|go.etcd.io/etcd/server/v3|none"
  "kube-apiserver|kube|k8s.io/kubernetes|k8s.io/kubernetes/cmd/kube-apiserver|kube"
  "kube-controller-manager|kube|k8s.io/kubernetes|k8s.io/kubernetes/cmd/kube-controller-manager|kube"
  "kube-scheduler|kube|k8s.io/kubernetes|k8s.io/kubernetes/cmd/kube-scheduler|kube"
  "kubectl|kube|k8s.io/kubernetes|k8s.io/kubernetes/cmd/kubectl|kube"
  "kwok|kwok|sigs.k8s.io/kwok|sigs.k8s.io/kwok/cmd/kwok|none"
  "metrics-server|metrics-server|sigs.k8s.io/metrics-server|sigs.k8s.io/metrics-server/cmd/metrics-server|clientgo"
  "helm|helm|helm.sh/helm/v4|helm.sh/helm/v4/cmd/helm|helm"
  "golangci-lint|golangci-lint|github.com/golangci/golangci-lint/v2|github.com/golangci/golangci-lint/v2/cmd/golangci-lint|golangci"
  "logcheck|logcheck|sigs.k8s.io/logtools|sigs.k8s.io/logtools/logcheck|none"
)

# kwok v0.8.0 has no built-in stages: these stage and metric documents from its
# module are copied next to the binary (<cache>/kwok-<version>/stages/), where
# test/framework finds them through the _output/bin/kwok link.
KWOK_STAGE_FILES=(
  kustomize/stage/node/fast/node-initialize.yaml
  kustomize/stage/node/heartbeat/node-heartbeat.yaml
  kustomize/stage/pod/fast/pod-ready.yaml
  kustomize/metrics/resource/metrics-resource.yaml
  kustomize/metrics/usage/usage-from-annotation.yaml
)

# Bump to force every cached binary to be rebuilt (e.g. when build flags change).
BUILD_SCHEME=1

log() { printf '%s\n' "$*" >&2; }
die() { log "install-tools: $*"; exit 1; }

usage() { sed -n '/^# Usage:/,/^# Environment:/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//;$d' >&2; }

# module_version <go.mod> <module path>: the version required by go.mod.
module_version() {
  awk -v mod="$2" '
    $1 == "require" && $2 == mod { print $3; exit }
    $1 == "require" && $2 == "(" { inblock = 1; next }
    inblock && $1 == ")" { inblock = 0; next }
    inblock && $1 == mod { print $2; exit }
  ' "$1"
}

# human_duration <seconds>
human_duration() {
  local s=$1
  if (( s >= 60 )); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# origin_field <module dir> <module@version> <Hash|Time>: from the module's proxy
# metadata (the .info file of the module cache).
origin_field() {
  local info
  info="$(cd "$1" && GOWORK=off GOFLAGS= "${GO}" mod download -json "$2" 2>/dev/null |
    awk '$1 == "\"Info\":" { gsub(/[",]/, "", $2); print $2; exit }')"
  [[ -n "${info}" && -f "${info}" ]] || return 0
  grep -o "\"$3\": *\"[^\"]*\"" "${info}" | head -n1 | sed 's/.*: *"\(.*\)"/\1/'
}

ldflags_for() {
  local kind=$1 moddir=$2 module=$3 version=$4
  local flags="-s -w"
  case "${kind}" in
    kube)
      local major minor commit date
      major="${version#v}"; major="${major%%.*}"
      minor="${version#v*.}"; minor="${minor%%.*}"
      commit="$(origin_field "${moddir}" "${module}@${version}" Hash || true)"
      date="$(origin_field "${moddir}" "${module}@${version}" Time || true)"
      local pkg
      for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        flags+=" -X ${pkg}.gitVersion=${version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
        flags+=" -X ${pkg}.gitTreeState=clean"
        flags+=" -X ${pkg}.gitCommit=${commit}"
        [[ -n "${date}" ]] && flags+=" -X ${pkg}.buildDate=${date}"
      done
      ;;
    clientgo)
      flags+=" -X k8s.io/client-go/pkg/version.gitVersion=${version}"
      ;;
    helm)
      flags+=" -X helm.sh/helm/v4/internal/version.version=${version}"
      flags+=" -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
      flags+=" -X helm.sh/helm/v4/internal/version.gitCommit=$(origin_field "${moddir}" "${module}@${version}" Hash || true)"
      ;;
    golangci)
      # golangci-lint reads these from its main package (its releases set them);
      # a non-empty date keeps it from replacing them with the build info of
      # the tools module.
      local commit date
      commit="$(origin_field "${moddir}" "${module}@${version}" Hash || true)"
      date="$(origin_field "${moddir}" "${module}@${version}" Time || true)"
      flags+=" -X main.version=${version#v} -X main.commit=${commit:-unknown} -X main.date=${date:-unknown}"
      ;;
  esac
  printf '%s' "${flags}"
}

# extras_kwok <tools module dir> <output dir>: files shipped with the kwok binary.
extras_kwok() {
  local dir f
  dir="$(cd "$1" && GOWORK=off GOFLAGS= "${GO}" list -mod=readonly -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
  [[ -n "${dir}" ]] || return 1
  for f in "${KWOK_STAGE_FILES[@]}"; do
    mkdir -p "$2/stages/$(dirname "${f}")"
    cp "${dir}/${f}" "$2/stages/${f}"
    chmod 0644 "$2/stages/${f}"
  done
}

# stamp_for <name> <version> <module dir>: what a cached binary must have been built from.
stamp_for() {
  {
    printf 'scheme=%s\nname=%s\nversion=%s\n' "${BUILD_SCHEME}" "$1" "$2"
    printf 'go.sum=%s\n' "$(sha256sum "$3/go.sum" | awk '{print $1}')"
  }
}

FORCE=false
LIST=false
WANT=()
while (( $# > 0 )); do
  case "$1" in
    --force) FORCE=true ;;
    --list) LIST=true ;;
    -h|--help) usage; exit 0 ;;
    -*) usage; die "unknown flag $1" ;;
    *) WANT+=("$1") ;;
  esac
  shift
done

selected() {
  (( ${#WANT[@]} == 0 )) && return 0
  local w
  for w in "${WANT[@]}"; do [[ "$w" == "$1" ]] && return 0; done
  return 1
}

for w in "${WANT[@]+"${WANT[@]}"}"; do
  found=false
  for t in "${TOOLS[@]}"; do [[ "${t%%|*}" == "$w" ]] && found=true; done
  ${found} || die "unknown tool '$w' (known: $(printf '%s ' "${TOOLS[@]%%|*}"))"
done

command -v "${GO}" >/dev/null || die "go is required (looked for '${GO}')"
mkdir -p "${CACHE_ROOT}" "${BIN_DIR}"

# One build at a time, also across concurrent invocations (e.g. two CI jobs).
if ! ${LIST} && command -v flock >/dev/null; then
  exec 9>"${CACHE_ROOT}/.lock"
  if ! flock -n 9; then
    log "install-tools: waiting for another install-tools run to finish (lock ${CACHE_ROOT}/.lock)"
    flock 9
  fi
fi

TOTAL_START=${SECONDS}
BUILT=0
for t in "${TOOLS[@]}"; do
  IFS='|' read -r name moddir module pkg kind <<<"${t}"
  selected "${name}" || continue
  moddir="${TOOLS_DIR}/${moddir}"
  version="$(module_version "${moddir}/go.mod" "${module}")"
  [[ -n "${version}" ]] || die "${moddir}/go.mod does not require ${module}"

  dest="${CACHE_ROOT}/${name}-${version}"
  bin="${dest}/${name}"
  want_stamp="$(stamp_for "${name}" "${version}" "${moddir}")"
  state=missing
  if [[ -x "${bin}" && -f "${dest}/.stamp" ]]; then
    if [[ "$(cat "${dest}/.stamp")" == "${want_stamp}" ]]; then state=cached; else state=stale; fi
  fi
  if [[ "${name}" == kwok && "${state}" == cached && ! -d "${dest}/stages" ]]; then
    state=stale
  fi

  if ${LIST}; then
    printf '%-24s %-10s %-8s %s\n' "${name}" "${version}" "${state}" "${dest}"
    continue
  fi

  if [[ "${state}" != cached ]] || ${FORCE}; then
    log "==> building ${name} ${version} (${pkg}) [${state}]"
    start=${SECONDS}
    tmp="$(mktemp -d "${CACHE_ROOT}/.build-${name}.XXXXXX")"
    trap 'rm -rf "${tmp}"' EXIT
    ldflags="$(ldflags_for "${kind}" "${moddir}" "${module}" "${version}")"
    (
      cd "${moddir}"
      GOWORK=off CGO_ENABLED=0 GOFLAGS= "${GO}" build -mod=readonly -trimpath -buildvcs=false \
        -ldflags="${ldflags}" -o "${tmp}/${name}" "${pkg}"
    ) || die "building ${name} failed"
    if [[ "${name}" == kwok ]]; then
      extras_kwok "${moddir}" "${tmp}" || die "copying the kwok stages failed"
    fi
    printf '%s\n' "${want_stamp}" >"${tmp}/.stamp"
    rm -rf "${dest}"
    mv "${tmp}" "${dest}"
    trap - EXIT
    BUILT=$((BUILT + 1))
    log "    ${name} ${version} built in $(human_duration $((SECONDS - start))) ($(du -h "${bin}" | cut -f1))"
  else
    log "==> ${name} ${version}: up to date in cache"
  fi

  ln -sfn "${bin}" "${BIN_DIR}/${name}"
done

if ! ${LIST}; then
  log "install-tools: ${BUILT} built, total $(human_duration $((SECONDS - TOTAL_START))); binaries linked in ${BIN_DIR}"
fi

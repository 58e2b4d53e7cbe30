#!/usr/bin/env bash
# Regenerates deepcopy, conversion, defaulters, OpenAPI, clientset, listers,
# informers, apply configurations and protobuf from the types in pkg/apis
# (protobuf needs protoc on PATH; Debian: apt-get install protobuf-compiler).
set -o errexit -o nounset -o pipefail

SCRIPT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${SCRIPT_ROOT}"

# module_dir <module>: the directory of a module of go.mod, downloaded first:
# until it is in the module cache `go list -m` prints an empty Dir.
module_dir() {
  go mod download "$1"
  local dir
  dir=$(go list -m -f '{{.Dir}}' "$1")
  if [[ -z "${dir}" || ! -d "${dir}" ]]; then
    echo "update-codegen: no directory for module $1 after go mod download" >&2
    return 1
  fi
  printf '%s\n' "${dir}"
}

CODEGEN_PKG=${CODEGEN_PKG:-$(module_dir k8s.io/code-generator)}
# shellcheck source=/dev/null
source "${CODEGEN_PKG}/kube_codegen.sh"

THIS_PKG="github.com/kube-experimental/workloads-apiserver"
BOILERPLATE="${SCRIPT_ROOT}/hack/boilerplate.go.txt"

# Our types embed core/v1 and autoscaling/v1 types; openapi-gen must not try
# to write model-name files into those read-only modules.
KUBE_CODEGEN_READONLY_PKGS+=(k8s.io/api/core/v1 k8s.io/api/autoscaling/v1)

kube::codegen::gen_helpers \
    --boilerplate "${BOILERPLATE}" \
    "${SCRIPT_ROOT}/pkg/apis"

update_report=""
if [[ "${UPDATE_API_KNOWN_VIOLATIONS:-}" == "true" ]]; then
    update_report="--update-report"
fi

kube::codegen::gen_openapi \
    --output-dir "${SCRIPT_ROOT}/pkg/generated/openapi" \
    --output-pkg "${THIS_PKG}/pkg/generated/openapi" \
    --output-model-name-file zz_generated.model_name.go \
    --extra-pkgs k8s.io/api/core/v1 \
    --extra-pkgs k8s.io/api/autoscaling/v1 \
    --extra-pkgs k8s.io/apimachinery/pkg/util/intstr \
    --report-filename "${SCRIPT_ROOT}/api/api-rules/violation_exceptions.list" \
    ${update_report:+"${update_report}"} \
    --boilerplate "${BOILERPLATE}" \
    "${SCRIPT_ROOT}/pkg/apis"

kube::codegen::gen_client \
    --with-watch \
    --with-applyconfig \
    --applyconfig-name applyconfigurations \
    --applyconfig-openapi-schema <(go run "${THIS_PKG}/pkg/generated/openapi/cmd/models-schema") \
    --applyconfig-externals "k8s.io/api/core/v1.PodTemplateSpec:k8s.io/client-go/applyconfigurations/core/v1,k8s.io/api/core/v1.ObjectReference:k8s.io/client-go/applyconfigurations/core/v1,k8s.io/api/autoscaling/v1.Scale:k8s.io/client-go/applyconfigurations/autoscaling/v1" \
    --output-dir "${SCRIPT_ROOT}/pkg/generated" \
    --output-pkg "${THIS_PKG}/pkg/generated" \
    --boilerplate "${BOILERPLATE}" \
    "${SCRIPT_ROOT}/pkg/apis"

# Protobuf (generated.proto, generated.pb.go) for the versioned types, so
# that clients and etcd can use application/vnd.kubernetes.protobuf as with
# built-in kinds. go-to-protobuf wants protoc on PATH and the packages it
# reads and imports laid out by import path; a temporary tree of symlinks
# provides that.
if ! command -v protoc >/dev/null; then
  echo "protoc not found: install it (Debian: apt-get install protobuf-compiler)" >&2
  exit 1
fi
PROTO_TOOLS="${SCRIPT_ROOT}/_output/tools"
mkdir -p "${PROTO_TOOLS}"
GOBIN="${PROTO_TOOLS}" go install \
  k8s.io/code-generator/cmd/go-to-protobuf \
  k8s.io/code-generator/cmd/go-to-protobuf/protoc-gen-gogo \
  golang.org/x/tools/cmd/goimports
PROTO_TREE=$(mktemp -d)
trap 'rm -rf "${PROTO_TREE}"' EXIT
link() { mkdir -p "$(dirname "${PROTO_TREE}/$2")" && ln -s "$1" "${PROTO_TREE}/$2"; }
link "${SCRIPT_ROOT}" "${THIS_PKG}"
for mod in k8s.io/api k8s.io/apimachinery github.com/gogo/protobuf; do
  mod_dir=$(module_dir "${mod}")
  link "${mod_dir}" "${mod}"
done
PATH="${PROTO_TOOLS}:${PATH}" go-to-protobuf \
  --go-header-file "${BOILERPLATE}" \
  --apimachinery-packages "-k8s.io/apimachinery/pkg/util/intstr,-k8s.io/apimachinery/pkg/api/resource,-k8s.io/apimachinery/pkg/runtime/schema,-k8s.io/apimachinery/pkg/runtime,-k8s.io/apimachinery/pkg/apis/meta/v1" \
  --packages "-k8s.io/api/core/v1,-k8s.io/api/autoscaling/v1,${THIS_PKG}/pkg/apis/experimental/v1alpha1" \
  --proto-import "${PROTO_TREE}" \
  --output-dir "${PROTO_TREE}"

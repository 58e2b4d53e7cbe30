#!/usr/bin/env bash
# Starts a local cluster with workloads-apiserver registered.
#   hack/local-up.sh            stays in the foreground; Ctrl-C tears it down
#   hack/local-up.sh --detach   returns once ready; stop it with hack/local-down.sh
#   hack/local-up.sh --ha       the production topology: 3 workloads-apiserver replicas
#                               behind a test load balancer, a 3-member TLS etcd cluster,
#                               2 leader-elected controller managers (combines with --detach)
set -o errexit -o nounset -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${ROOT}"
STATE_DIR="${ROOT}/_output/local"
PID_FILE="${STATE_DIR}/local-up.pid"

detach=false
args=()
for arg in "$@"; do
  case "${arg}" in
    --detach) detach=true ;;
    *) args+=("${arg}") ;;
  esac
done

echo "==> Building the pinned upstream binaries (first run only)"
hack/install-tools.sh
echo "==> Building workloads-apiserver"
mkdir -p _output/bin "${STATE_DIR}"
go build -o _output/bin/ ./cmd/... ./hack/local-up

# A previous detached cluster, or one that crashed, is stopped first.
"${ROOT}/hack/local-down.sh" --quiet || true

if [[ "${detach}" == "false" ]]; then
  echo "==> Starting the cluster (Ctrl-C stops it)"
  exec _output/bin/local-up --state-dir="${STATE_DIR}" ${args[@]+"${args[@]}"}
fi

echo "==> Starting the cluster in the background (log: ${STATE_DIR}/local-up.log)"
rm -f "${STATE_DIR}/kubeconfig"
setsid _output/bin/local-up --state-dir="${STATE_DIR}" ${args[@]+"${args[@]}"} >"${STATE_DIR}/local-up.log" 2>&1 </dev/null &
echo $! >"${PID_FILE}"
for _ in $(seq 1 300); do
  if [[ -f "${STATE_DIR}/kubeconfig" ]]; then
    sed -n '/The cluster is ready/,$p' "${STATE_DIR}/local-up.log"
    echo "Stop it with: hack/local-down.sh"
    exit 0
  fi
  if ! kill -0 "$(cat "${PID_FILE}")" 2>/dev/null; then
    cat "${STATE_DIR}/local-up.log"
    echo "local-up exited before the cluster was ready" >&2
    exit 1
  fi
  sleep 1
done
echo "the cluster was not ready within 5 minutes; see ${STATE_DIR}/local-up.log" >&2
exit 1

#!/usr/bin/env bash
# Stops a cluster started with hack/local-up.sh --detach.
set -o errexit -o nounset -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PID_FILE="${ROOT}/_output/local/local-up.pid"
quiet=false
[[ "${1:-}" == "--quiet" ]] && quiet=true

if [[ ! -f "${PID_FILE}" ]]; then
  [[ "${quiet}" == "true" ]] || echo "No detached local cluster is running."
  exit 0
fi
pid=$(cat "${PID_FILE}")
if kill -0 "${pid}" 2>/dev/null; then
  [[ "${quiet}" == "true" ]] || echo "Stopping the local cluster (pid ${pid}) ..."
  kill -TERM "${pid}"
  for _ in $(seq 1 60); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "${pid}" 2>/dev/null; then
    kill -KILL -- "-${pid}" 2>/dev/null || kill -KILL "${pid}" || true
  fi
fi
rm -f "${PID_FILE}" "${ROOT}/_output/local/kubeconfig"
[[ "${quiet}" == "true" ]] || echo "Stopped."

#!/usr/bin/env bash
# Copyright The workloads-apiserver Authors.
# SPDX-License-Identifier: Apache-2.0
#
# The linters of make verify, both pinned under hack/tools and built on first
# use by hack/install-tools.sh (later runs only link the cached binaries):
#
#   golangci-lint  configured by .golangci.yml
#   logcheck       structured logging everywhere, and contextual logging in
#                  the controllers and the controller manager (hack/logcheck.conf)
#
# Usage: hack/verify-lint.sh [packages...]   (default: ./...)
set -o errexit -o nounset -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BIN_DIR="${WORKLOADS_TOOLS_BIN:-${ROOT}/_output/bin}"
cd "${ROOT}"

if (( $# == 0 )); then set -- ./...; fi

hack/install-tools.sh golangci-lint logcheck

status=0
echo "golangci-lint run $*"
"${BIN_DIR}/golangci-lint" run "$@" || status=1
echo "logcheck -config hack/logcheck.conf $*"
"${BIN_DIR}/logcheck" -config hack/logcheck.conf "$@" || status=1
exit "${status}"

# workloads-apiserver: build, test and run locally.
SHELL := /usr/bin/env bash
GO ?= go
BIN := _output/bin

.PHONY: all build install-plugin tools test unit integration e2e verify lint generate run run-ha down bench bench-api bench-controllers clean

all: build

## build: compile workloads-apiserver into _output/bin
build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...

## install-plugin: install the kubectl plugin (kubectl-experimental and its completion helper kubectl_complete-experimental) into $(GOBIN), default ~/go/bin
PLUGIN_DIR ?= $(or $(shell $(GO) env GOBIN),$(shell $(GO) env GOPATH)/bin)
install-plugin:
	@mkdir -p $(PLUGIN_DIR)
	$(GO) build -o $(PLUGIN_DIR)/kubectl-experimental ./cmd/kubectl-experimental
	install -m 0755 cmd/kubectl-experimental/kubectl_complete-experimental $(PLUGIN_DIR)/kubectl_complete-experimental

## tools: build the pinned upstream binaries (kube-apiserver, etcd, kwok, helm, ...) into _output/bin
tools:
	hack/install-tools.sh

## generate: regenerate clientset, listers, informers, apply configurations, OpenAPI and zz_generated files
generate:
	hack/update-codegen.sh

## verify: generated code is current, code is formatted, vetted and linted (golangci-lint, logcheck)
verify:
	hack/verify-codegen.sh
	@out=$$(gofmt -l cmd pkg test bench hack artifacts charts); if [[ -n "$$out" ]]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd artifacts/monitoring/promcheck && GOWORK=off GOFLAGS= $(GO) vet ./...
	hack/verify-lint.sh

## lint: only the linters of verify (golangci-lint and logcheck), e.g. make lint LINT_PKGS=./pkg/controllers/...
LINT_PKGS ?= ./...
lint:
	hack/verify-lint.sh $(LINT_PKGS)

## test: everything CI runs: verify, unit, integration and end-to-end tests
# verify builds the linters it runs itself (hack/verify-lint.sh), so it can come
# before tools, and fails fast before the long upstream builds.
test: verify tools build
	$(GO) test -count=1 -timeout 45m ./...
	cd artifacts/monitoring/promcheck && GOWORK=off GOFLAGS= $(GO) test -count=1 ./...

## unit: unit and in-process integration tests only (no upstream binaries needed)
unit:
	$(GO) test -count=1 ./pkg/... ./test/integration/...

## run: start a local cluster (etcd, kube-apiserver, scheduler, controller-manager, kwok nodes) with workloads-apiserver registered
run: tools build
	hack/local-up.sh

## run-ha: like run, in the production topology: 3 workloads-apiserver replicas behind a test load balancer, a 3-member TLS etcd cluster, 2 leader-elected controller managers
run-ha: tools build
	hack/local-up.sh --ha

## down: stop a cluster started with hack/local-up.sh --detach
down:
	hack/local-down.sh

## bench: both benchmarks below, one after the other
bench: bench-api bench-controllers

## bench-api: API benchmark: apps/v1, a CRD and experimental/v1alpha1 (aggregated and direct) side by side; writes _output/bench/api.md (BENCH_FLAGS passes flags, see bench/README.md)
bench-api: tools build
	$(GO) run ./bench/cmd/apibench $(BENCH_FLAGS)

## bench-controllers: workloads-controller-manager vs kube-controller-manager on 500 kwok nodes (DaemonSet, Deployment create and rollout, Job, CronJob lag); writes _output/bench/controllers.md (CONTROLLER_BENCH_FLAGS passes flags)
bench-controllers: tools build
	$(GO) run ./bench/cmd/controllerbench $(CONTROLLER_BENCH_FLAGS)

clean:
	rm -rf _output

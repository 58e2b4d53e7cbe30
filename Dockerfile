# syntax=docker/dockerfile:1
#
# One image with both binaries; the Deployments in artifacts/deploy pick one
# with `command`:
#   /workloads-apiserver            (the default entrypoint)
#   /workloads-controller-manager
#
#   docker build -t ghcr.io/kube-experimental/workloads-apiserver:v0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 -t ... --push .

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/ \
      ./cmd/workloads-apiserver \
      ./cmd/workloads-controller-manager

FROM gcr.io/distroless/static:nonroot
LABEL org.opencontainers.image.source="https://github.com/kube-experimental/workloads-apiserver" \
      org.opencontainers.image.description="workloads-apiserver and workloads-controller-manager: the experimental/v1alpha1 workload APIs" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/workloads-apiserver /out/workloads-controller-manager /
USER 65532:65532
ENTRYPOINT ["/workloads-apiserver"]

# syntax=docker/dockerfile:1
# Multi-stage build of a static Switchyard node.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/switchyard-sfu/switchyard/internal/node.Version=${VERSION}" \
      -o /out/sfu ./cmd/sfu

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sfu /usr/local/bin/sfu
COPY configs/production.yaml /etc/switchyard/config.yaml
# gRPC control plane, metrics/health, and the single media port.
EXPOSE 7880/tcp 9090/tcp 7882/udp
USER nonroot
ENTRYPOINT ["/usr/local/bin/sfu", "-config", "/etc/switchyard/config.yaml"]

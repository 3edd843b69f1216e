# syntax=docker/dockerfile:1
# Multi-stage build of static Switchyard binaries: the media node (the
# default target, "sfu") and the reference meeting service ("meetingd",
# which carries the demo pages embedded).
#   docker build -t switchyard/sfu .
#   docker build --target meetingd -t switchyard/meetingd .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/switchyard-sfu/switchyard/internal/node.Version=${VERSION}" \
      -o /out/sfu ./cmd/sfu && \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/meetingd ./cmd/meetingd

# The meeting service: configured by MEETINGD_* variables (or a YAML file
# named by MEETINGD_CONFIG, e.g. configs/meetingd.yaml mounted in).
FROM gcr.io/distroless/static-debian12:nonroot AS meetingd
COPY --from=build /out/meetingd /usr/local/bin/meetingd
# Pages and WebSocket.
EXPOSE 8080/tcp
USER nonroot
ENTRYPOINT ["/usr/local/bin/meetingd"]

FROM gcr.io/distroless/static-debian12:nonroot AS sfu
COPY --from=build /out/sfu /usr/local/bin/sfu
COPY configs/production.yaml /etc/switchyard/config.yaml
# gRPC control plane, metrics/health, and the single media port.
EXPOSE 7880/tcp 9090/tcp 7882/udp
USER nonroot
ENTRYPOINT ["/usr/local/bin/sfu", "-config", "/etc/switchyard/config.yaml"]

# Switchyard build entry points. `make run` and `make test` are the README's
# two commands.

GO            ?= go
BIN           ?= bin
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.0
PROTO_DIR     := api/proto/switchyard/v1

.PHONY: all build run test proto vet fmt bench

all: build

build:
	$(GO) build -o $(BIN)/sfu ./cmd/sfu
	$(GO) build -o $(BIN)/meetingd ./cmd/meetingd

# A node and the meeting service on localhost: open
# http://localhost:8080/room/NAME in two tabs. Ctrl-C stops both.
run: build
	BIN=$(BIN) bash scripts/run.sh

test:
	bash scripts/test.sh

# A quick load run (a few minutes on 2 cores): webinar and meeting ramps of
# 5, 10 and 20 receivers and a small join storm, against the node as a
# separate process. Writes bench/results/quick/ (results.md, results.json,
# one SVG per ramp). Longer ramps: go run ./bench -h.
BENCH_FLAGS ?= -scenario webinar,meeting,join-storm -steps 5,10,20 -warmup 2s -window 6s -storm-total 20 -name quick

bench:
	$(GO) run ./bench $(BENCH_FLAGS)

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w $$(git ls-files '*.go' | grep -v '\.pb\.go$$')

# Regenerates the checked-in protobuf code with pinned generator versions.
# protoc itself comes from Debian's protobuf-compiler (3.21).
proto:
	@command -v protoc >/dev/null || (apt-get update -qq && apt-get install -y -qq protobuf-compiler)
	GOBIN=$(CURDIR)/$(BIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(CURDIR)/$(BIN) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	PATH=$(CURDIR)/$(BIN):$$PATH protoc -I api/proto \
		--go_out=api/proto --go_opt=paths=source_relative \
		--go-grpc_out=api/proto --go-grpc_opt=paths=source_relative \
		$(PROTO_DIR)/medianode.proto

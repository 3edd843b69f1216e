// Package testnode starts a media node inside a test binary, configured
// for loopback (plaintext gRPC on an ephemeral port, media on 127.0.0.1 with
// loopback candidates, no HTTP listener), and shuts it down in the test's
// cleanup. The end-to-end, meeting-service and browser tests share it;
// package nodeproc runs a node as a separate process instead.
package testnode

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/config"
	"github.com/switchyard-sfu/switchyard/internal/node"
)

// ShutdownTimeout bounds the node's shutdown in cleanup.
const ShutdownTimeout = 20 * time.Second

// Config returns the loopback configuration of a test node called id.
func Config(id string) config.Config {
	cfg := config.Default()
	cfg.NodeID = id
	cfg.GRPC.Listen = "127.0.0.1:0"
	cfg.GRPC.Insecure = true
	cfg.HTTP.Listen = ""
	cfg.RTC.UDPPort = 0
	cfg.RTC.ListenIPs = []string{"127.0.0.1"}
	cfg.RTC.IncludeLoopback = true
	return cfg
}

// Node is a running in-process node and a gRPC client of it.
type Node struct {
	*node.Node
	Conn *grpc.ClientConn
	API  pb.MediaNodeClient
}

// Start runs a node with cfg, logging warnings and errors to t. Cleanup
// shuts it down (bounded by ShutdownTimeout) and closes the client; a
// goroutine-leak check the caller registered before Start runs after that.
func Start(t testing.TB, cfg config.Config) *Node {
	t.Helper()
	n, err := node.Start(cfg, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Named("node"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(n.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		_ = n.Shutdown(context.Background())
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Errorf("shutdown node: %v", err)
		}
		_ = conn.Close()
	})
	return &Node{Node: n, Conn: conn, API: pb.NewMediaNodeClient(conn)}
}

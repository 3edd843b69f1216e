// Package nodeproc runs media nodes (cmd/sfu) as separate processes for
// tests that need the node outside the test binary: the cluster test (two
// nodes, as the compose file runs them) and the browser test (a node built
// without the race detector, whose timing Chromium's bandwidth estimator
// reads).
package nodeproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// Bounds on a node process's life in a test.
const (
	// StartTimeout bounds the wait until a started node answers
	// GetNodeInfo.
	StartTimeout = 30 * time.Second
	// StopTimeout bounds the wait for a node to exit after SIGTERM before
	// it is killed.
	StopTimeout = 20 * time.Second
)

// Build compiles cmd/sfu into dir and returns the binary's path. The race
// detector is off even when GOFLAGS asks for it: the process is the system
// under test's peer, not the code under race test.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "sfu")
	var out bytes.Buffer
	build := exec.Command("go", "build", "-race=false", "-o", bin, "github.com/switchyard-sfu/switchyard/cmd/sfu")
	build.Stdout, build.Stderr = &out, &out
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build cmd/sfu: %w\n%s", err, out.String())
	}
	return bin, nil
}

// FreeAddr returns a loopback TCP address nobody listens on right now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Options shape a node process.
type Options struct {
	// DrainTimeout is the node's -drain-timeout (how long SIGTERM waits
	// for rooms to empty). Default 1 s.
	DrainTimeout time.Duration
}

// Proc is one node process.
type Proc struct {
	ID   string
	Addr string // gRPC, plaintext
	API  pb.MediaNodeClient

	cmd     *exec.Cmd
	done    chan error // Wait's result, once
	logPath string
	once    sync.Once
}

// Start runs bin as node id with the settings a test on this host needs,
// all through the same SWITCHYARD_* variables the compose file uses:
// plaintext gRPC and media on loopback, loopback candidates, an ephemeral
// media port. It waits, at most StartTimeout, until the node answers
// GetNodeInfo. Cleanup stops it (Stop) and, if the test failed, logs the end
// of its log (warnings and errors).
func Start(t testing.TB, bin, id string, o Options) *Proc {
	t.Helper()
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = time.Second
	}
	p := &Proc{ID: id, Addr: FreeAddr(t), done: make(chan error, 1), logPath: filepath.Join(t.TempDir(), id+".log")}
	logFile, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, "-http-listen", "", "-listen-ips", "127.0.0.1", "-drain-timeout", o.DrainTimeout.String())
	p.cmd.Env = append(os.Environ(),
		"SWITCHYARD_NODE_ID="+id,
		"SWITCHYARD_GRPC_LISTEN="+p.Addr,
		"SWITCHYARD_GRPC_INSECURE=true",
		"SWITCHYARD_UDP_PORT=0",
		"SWITCHYARD_INCLUDE_LOOPBACK=true",
		"SWITCHYARD_LOG_FORMAT=console",
		"SWITCHYARD_LOG_LEVEL=warn",
	)
	// An *os.File: the child writes to it directly, no copying goroutine.
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		_ = logFile.Close()
		t.Fatal(err)
	}
	_ = logFile.Close() // the child has its own descriptor
	go func() { p.done <- p.cmd.Wait() }()
	conn, err := grpc.NewClient(p.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		p.Stop(t)
		t.Fatal(err)
	}
	p.API = pb.NewMediaNodeClient(conn)
	t.Cleanup(func() {
		_ = conn.Close()
		p.Stop(t)
		if t.Failed() {
			p.logTail(t)
		}
	})
	p.waitReady(t)
	return p
}

// waitReady polls GetNodeInfo until the node answers as p.ID, it exits, or
// StartTimeout passes.
func (p *Proc) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(StartTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		info, err := p.API.GetNodeInfo(ctx, &pb.GetNodeInfoRequest{})
		cancel()
		if err == nil {
			if info.GetNodeId() != p.ID {
				t.Fatalf("node at %s says it is %q, want %q", p.Addr, info.GetNodeId(), p.ID)
			}
			return
		}
		select {
		case err := <-p.done:
			p.done <- err // for Stop
			t.Fatalf("node %s exited during start-up: %v", p.ID, err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s did not answer on %s within %v: %v", p.ID, p.Addr, StartTimeout, err)
		}
	}
}

// Stop sends SIGTERM (the node drains for at most its drain timeout), kills
// the node if it has not exited StopTimeout later, and waits for it. It is
// idempotent.
func (p *Proc) Stop(t testing.TB) {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-p.done:
			var ee *exec.ExitError
			switch {
			case errors.As(err, &ee):
				// A drain that timed out with rooms still open exits
				// non-zero; the test that stops such a node expects it.
				t.Logf("node %s exited after SIGTERM: %v", p.ID, err)
			case err != nil:
				t.Errorf("node %s: %v", p.ID, err)
			}
		case <-time.After(StopTimeout):
			_ = p.cmd.Process.Kill()
			<-p.done
			t.Errorf("node %s did not exit within %v of SIGTERM", p.ID, StopTimeout)
		}
	})
}

// logTail attaches the last 16 KiB of the node's log to t.
func (p *Proc) logTail(t testing.TB) {
	b, err := os.ReadFile(p.logPath)
	if err != nil || len(b) == 0 {
		return
	}
	if len(b) > 16<<10 {
		b = b[len(b)-16<<10:]
	}
	t.Logf("node %s log (end):\n%s", p.ID, b)
}

package browser

import (
	"bytes"
	"context"
	"errors"
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

// The media node runs as its own process, cmd/sfu built once per test
// binary WITHOUT the race detector. Why not in-process: inside the `go test
// -race` binary Chromium's send-side bandwidth estimate, computed from the
// node's transport-cc feedback, often collapsed (down to 0.1 Mbit/s) and
// held back the top simulcast layer for a minute or more (6 of 9 runs); with
// a non-race node process it never took more than 22 s (7 runs).
// Measurements and the likely path in web/README.md, "Tests";
// SWITCHYARD_BROWSER_NODE=inprocess (startStack) reproduces the comparison.
// The node's own concurrency is covered by the -race runs of test/e2e and
// internal/meeting, which run it in-process.
var (
	sfuOnce sync.Once
	sfuBin  string
	sfuErr  error
	sfuDir  string
)

// buildSFU builds cmd/sfu into a temp dir (once); TestMain removes it.
func buildSFU() (string, error) {
	sfuOnce.Do(func() {
		sfuDir, sfuErr = os.MkdirTemp("", "switchyard-browser-")
		if sfuErr != nil {
			return
		}
		sfuBin = filepath.Join(sfuDir, "sfu")
		var out bytes.Buffer
		// -race=false even when GOFLAGS asks for the race detector.
		build := exec.Command("go", "build", "-race=false", "-o", sfuBin, "github.com/switchyard-sfu/switchyard/cmd/sfu")
		build.Stdout, build.Stderr = &out, &out
		if err := build.Run(); err != nil {
			sfuErr = errors.New("build cmd/sfu: " + err.Error() + "\n" + out.String())
		}
	})
	return sfuBin, sfuErr
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sfuDir != "" {
		_ = os.RemoveAll(sfuDir)
	}
	os.Exit(code)
}

// freeAddr returns a loopback TCP address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startNodeProcess starts a node process with the settings a browser on
// this host needs (plaintext gRPC and media on loopback, loopback
// candidates included) and waits, bounded, until it answers GetNodeInfo.
// Cleanup stops it with SIGTERM, kills it if it has not exited 20 s later,
// and waits for it; its log (warnings and errors) is attached to a failed
// test.
func startNodeProcess(t *testing.T, id string) (addr string) {
	t.Helper()
	bin, err := buildSFU()
	if err != nil {
		t.Fatal(err)
	}
	addr = freeAddr(t)
	logPath := filepath.Join(t.TempDir(), "node.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-http-listen", "", "-listen-ips", "127.0.0.1", "-drain-timeout", "1s")
	cmd.Env = append(os.Environ(),
		"SWITCHYARD_NODE_ID="+id,
		"SWITCHYARD_GRPC_LISTEN="+addr,
		"SWITCHYARD_GRPC_INSECURE=true",
		"SWITCHYARD_UDP_PORT=0",
		"SWITCHYARD_INCLUDE_LOOPBACK=true",
		"SWITCHYARD_LOG_FORMAT=console",
		"SWITCHYARD_LOG_LEVEL=warn",
	)
	// An *os.File: the child writes to it directly, no copying goroutine.
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("node process: %v", err)
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("node process did not exit within 20 s of SIGTERM")
		}
		_ = logFile.Close()
		if b, err := os.ReadFile(logPath); err == nil && len(b) > 0 && t.Failed() {
			if len(b) > 16<<10 {
				b = b[len(b)-16<<10:]
			}
			t.Logf("node log (end):\n%s", b)
		}
	})

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	api := pb.NewMediaNodeClient(conn)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		info, err := api.GetNodeInfo(ctx, &pb.GetNodeInfoRequest{})
		cancel()
		if err == nil {
			if info.GetNodeId() != id {
				t.Fatalf("node at %s says it is %q, want %q", addr, info.GetNodeId(), id)
			}
			return addr
		}
		select {
		case err := <-done:
			done <- err // for the cleanup
			t.Fatalf("node process exited during start-up: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("node did not answer on %s within 30 s: %v", addr, err)
		}
	}
}

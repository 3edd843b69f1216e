package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// nodeProc is the node under test, a separate process so that its CPU and
// memory are measured apart from the load generator's.
type nodeProc struct {
	cmd  *exec.Cmd
	conn *grpc.ClientConn
	api  pb.MediaNodeClient
	addr string
	hz   int64
	done chan error
}

// buildNode compiles cmd/sfu into dir and returns the binary's path.
func buildNode(ctx context.Context, dir string) (string, error) {
	bin, err := filepath.Abs(filepath.Join(dir, "sfu"))
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/sfu")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sfu: %w", err)
	}
	return bin, nil
}

// freePort asks the kernel for an unused TCP port on loopback.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// nodeConfig is the node's configuration for a bench run: plaintext gRPC
// on loopback, media on 127.0.0.1 (an ephemeral UDP port), and limits high
// enough for one room with every bench client (each follows the room's
// events, which the default limits cap at 16 streams per room).
func nodeConfig(grpcAddr, pprofAddr string) string {
	httpListen, pprof := `""`, false
	if pprofAddr != "" {
		httpListen, pprof = pprofAddr, true
	}
	return fmt.Sprintf(`node_id: bench
grpc:
  listen: %s
  insecure: true
http:
  listen: %s
  pprof: %t
rtc:
  udp_port: 0
  listen_ips: [127.0.0.1]
  include_loopback: true
rooms:
  max_participants: 100000
limits:
  event_subscribers_per_room: 100000
log:
  format: console
  level: warn
drain:
  timeout: 2s
`, grpcAddr, httpListen, pprof)
}

// startNode runs the node binary and waits until its gRPC API answers.
// pprofAddr, if set, serves /debug/pprof there for profiling a run.
func startNode(ctx context.Context, bin, pprofAddr string) (*nodeProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	dir, err := os.MkdirTemp("", "switchyard-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir) // the node reads its config at start-up only
	cfgPath := filepath.Join(dir, "node.yaml")
	if err := os.WriteFile(cfgPath, []byte(nodeConfig(addr, pprofAddr)), 0o600); err != nil {
		return nil, err
	}
	args := []string{"-config", cfgPath}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	n := &nodeProc{cmd: cmd, addr: addr, hz: clockTicks(), done: make(chan error, 1)}
	go func() { n.done <- cmd.Wait() }()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		n.kill()
		return nil, err
	}
	n.conn, n.api = conn, pb.NewMediaNodeClient(conn)
	deadline := time.Now().Add(15 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := n.api.GetNodeInfo(cctx, &pb.GetNodeInfoRequest{})
		cancel()
		if err == nil {
			return n, nil
		}
		select {
		case werr := <-n.done:
			_ = conn.Close()
			return nil, fmt.Errorf("node exited during start-up: %v", werr)
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			n.kill()
			return nil, fmt.Errorf("node did not answer on %s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sample reads the node's CPU time and RSS.
func (n *nodeProc) sample() (procStat, error) { return readProc(n.cmd.Process.Pid, n.hz) }

// stop asks the node to drain and exit (SIGTERM), killing it if it takes
// too long.
func (n *nodeProc) stop() error {
	_ = n.conn.Close()
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-n.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("node exited: %w", err)
		}
		return err
	case <-time.After(15 * time.Second):
		n.kill()
		return errors.New("node did not exit within 15 s of SIGTERM; killed")
	}
}

func (n *nodeProc) kill() {
	if n.conn != nil {
		_ = n.conn.Close()
	}
	_ = n.cmd.Process.Kill()
	<-n.done
}

// startIdleNode starts the node for one scenario run, lets it settle and
// returns it with its idle RSS in MiB. The caller stops it.
func startIdleNode(ctx context.Context, o options, bin string) (*nodeProc, float64, error) {
	n, err := startNode(ctx, bin, o.pprof)
	if err != nil {
		return nil, 0, err
	}
	time.Sleep(time.Second) // let the runtime settle before the idle sample
	idle, err := n.sample()
	if err != nil {
		_ = n.stop()
		return nil, 0, err
	}
	return n, round(float64(idle.RSS)/mib, 1), nil
}

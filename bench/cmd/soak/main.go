// Command soak runs a Switchyard node as a separate process, churns joins
// and leaves against it (publishing, media requests, slots) for a while, and
// reports the node's goroutines, RSS, open descriptors and UDP sockets
// before, during and after.
//
//	go run ./bench/cmd/soak -duration 10m -out bench/results/soak
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/soak"
)

func main() {
	duration := flag.Duration("duration", 10*time.Minute, "how long to churn")
	workers := flag.Int("workers", 3, "parallel churners (one room each)")
	out := flag.String("out", "bench/results/soak", "directory for report.json and report.md")
	bin := flag.String("sfu", "bin/sfu", "node binary (built from ./cmd/sfu when missing)")
	flag.Parse()
	if err := run(*duration, *workers, *out, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(duration time.Duration, workers int, out, bin string) error {
	if _, err := os.Stat(bin); err != nil {
		build := exec.Command("go", "build", "-o", bin, "./cmd/sfu")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build node: %w", err)
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	node := exec.Command(bin, "-grpc-listen", addr, "-grpc-insecure", "-http-listen", "",
		"-udp-port", "0", "-listen-ips", "127.0.0.1", "-include-loopback", "-log-format", "console", "-log-level", "error")
	node.Stdout, node.Stderr = os.Stdout, os.Stderr
	if err := node.Start(); err != nil {
		return err
	}
	defer func() {
		_ = node.Process.Signal(syscall.SIGINT)
		_ = node.Process.Signal(syscall.SIGINT) // second signal: skip the drain wait
		_ = node.Wait()
	}()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	api := pb.NewMediaNodeClient(conn)
	ctx := context.Background()
	if err := waitReady(ctx, api); err != nil {
		return err
	}
	sample := func() (soak.Sample, error) {
		info, err := api.GetNodeInfo(ctx, &pb.GetNodeInfoRequest{})
		if err != nil {
			return soak.Sample{}, err
		}
		return soak.ProcSample(node.Process.Pid, int(info.GetGoroutines()))
	}
	log, _ := zap.NewDevelopment(zap.IncreaseLevel(zap.WarnLevel))
	fmt.Printf("soaking %s with %d workers against pid %d at %s\n", duration, workers, node.Process.Pid, addr)
	rep, runErr := soak.Run(ctx, soak.Options{Node: api, Duration: duration, Workers: workers, Sample: sample,
		SampleEvery: max(duration/20, 5*time.Second), Settle: time.Minute, Logger: log})
	if err := write(out, rep, duration, workers); err != nil {
		return err
	}
	fmt.Println(markdown(rep, duration, workers))
	return runErr
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitReady(ctx context.Context, api pb.MediaNodeClient) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := api.GetNodeInfo(cctx, &pb.GetNodeInfoRequest{})
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node not ready: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func write(dir string, rep soak.Report, d time.Duration, workers int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(markdown(rep, d, workers)), 0o644)
}

func markdown(rep soak.Report, d time.Duration, workers int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Soak: %s, %d workers\n\n", d, workers)
	fmt.Fprintf(&b, "Command: `go run ./bench/cmd/soak -duration %s -workers %d`\n\n", d, workers)
	fmt.Fprintf(&b, "Each cycle: a publisher (audio + 3-layer simulcast) and a slots receiver join, the receiver requests the publisher's media and receives it, both leave.\n\n")
	fmt.Fprintf(&b, "Cycles: %d, failed cycles: %d. Returned to baseline: %v.\n\n", rep.Cycles, rep.Errors, rep.ReturnedToBase)
	b.WriteString("| when | goroutines | RSS MiB | fds | UDP sockets |\n| --- | --- | --- | --- | --- |\n")
	row := func(name string, s soak.Sample) {
		fmt.Fprintf(&b, "| %s | %d | %.1f | %d | %d |\n", name, s.Goroutines, float64(s.RSSBytes)/(1<<20), s.FDs, s.UDPSockets)
	}
	row("before", rep.Before)
	for _, s := range rep.During {
		row(s.At.Sub(rep.Before.At).Truncate(time.Second).String(), s)
	}
	row("after", rep.After)
	return b.String()
}

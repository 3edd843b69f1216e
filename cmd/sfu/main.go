// Command sfu runs a Switchyard media node.
//
//	sfu -config configs/dev.yaml
//
// Configuration comes from defaults, the YAML file, SWITCHYARD_* environment
// variables and flags, in that order (see internal/config). SIGTERM or
// SIGINT drains the node: it refuses new rooms and exits when the rooms are
// empty or drain.timeout has passed.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard-sfu/switchyard/internal/config"
	"github.com/switchyard-sfu/switchyard/internal/node"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sfu:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.Load(os.Args[1:], os.Getenv)
	if err != nil {
		return err
	}
	log, err := cfg.Log.NewLogger()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	n, err := node.Start(cfg, log)
	if err != nil {
		return err
	}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case s := <-sig:
		log.Info("signal received, draining", zap.String("signal", s.String()), zap.Duration("timeout", cfg.Drain.Timeout))
		ctx, cancel := context.WithTimeout(context.Background(), cfg.Drain.Timeout)
		go func() {
			// A second signal skips the wait.
			<-sig
			cancel()
		}()
		n.Drain(ctx)
		cancel()
	case err := <-n.Failed():
		log.Error("listener failed", zap.Error(err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = n.Shutdown(ctx)
	log.Info("stopped")
	return err
}

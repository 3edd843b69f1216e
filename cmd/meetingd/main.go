// Command meetingd runs the reference meeting service: it serves the demo
// pages, takes browsers over a WebSocket (docs/meeting-protocol.md), places
// each meeting on one of the configured media nodes and drives it over
// gRPC.
//
//	meetingd -config configs/meetingd-dev.yaml
//
// Configuration comes from defaults, the YAML file, MEETINGD_* environment
// variables and flags, in that order. SIGTERM or SIGINT ends every session
// (each browser's connection leaves its node) and exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard-sfu/switchyard/internal/meeting"
	"github.com/switchyard-sfu/switchyard/web"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "meetingd:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := loadConfig(os.Args[1:], os.Getenv)
	if err != nil {
		return err
	}
	log, err := cfg.Log.NewLogger()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	o, err := cfg.serviceOptions(log)
	if err != nil {
		return err
	}
	if o.Static, err = fs.Sub(web.Static, "static"); err != nil {
		return err
	}
	svc, err := meeting.New(o)
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		_ = svc.Close()
		return err
	}
	srv := &http.Server{Handler: svc.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	log.Info("meeting service listening", zap.String("url", "http://"+lis.Addr().String()), zap.Strings("nodes", cfg.Nodes))

	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case s := <-sig:
		log.Info("signal received, ending sessions", zap.String("signal", s.String()))
	case err := <-served:
		_ = svc.Close()
		return fmt.Errorf("http server: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = svc.Close()
	}()
	select {
	case <-done:
	case <-ctx.Done():
		log.Warn("sessions did not end in time")
	case <-sig:
		log.Warn("second signal, exiting now")
	}
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

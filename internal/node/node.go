// Package node assembles a running media node from a config.Config: the
// media transport, the room manager, the gRPC server and the HTTP server for
// metrics, health and pprof. cmd/sfu is a thin wrapper around it.
package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/switchyard-sfu/switchyard/internal/config"
	"github.com/switchyard-sfu/switchyard/internal/metrics"
	"github.com/switchyard-sfu/switchyard/internal/server"
	"github.com/switchyard-sfu/switchyard/pkg/bwe"
	"github.com/switchyard-sfu/switchyard/pkg/room"
)

// Version is the node's version string, set at build time with
// -ldflags "-X github.com/switchyard-sfu/switchyard/internal/node.Version=...".
var Version = "dev"

// Node is a running media node.
type Node struct {
	cfg     config.Config
	log     *zap.Logger
	media   *room.Media
	rooms   *room.Manager
	grpc    *grpc.Server
	grpcLis net.Listener
	http    *http.Server
	httpLis net.Listener
	demo    *demo
	served  chan error
}

// Start opens every listener and starts serving.
func Start(cfg config.Config, log *zap.Logger) (*Node, error) {
	media, err := room.NewMedia(room.MediaOptions{
		UDPPort:         cfg.RTC.UDPPort,
		ListenIPs:       cfg.RTC.ListenIPs,
		IncludeLoopback: cfg.RTC.IncludeLoopback,
		NAT1To1IPs:      cfg.RTC.NAT1To1IPs,

		ICEDisconnectedTimeout: cfg.Limits.ICEDisconnectedTimeout,
		ICEFailedTimeout:       cfg.Limits.ICEFailedTimeout,
	})
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: log, media: media, served: make(chan error, 2)}
	n.rooms = room.NewManager(room.ManagerOptions{
		Media:           media,
		Logger:          log.Named("room"),
		MaxParticipants: cfg.Rooms.MaxParticipants,
		EventHistory:    cfg.Rooms.EventHistory,
		Limits: room.Limits{
			Rooms:                   cfg.Limits.Rooms,
			DevicesPerParticipant:   cfg.Limits.DevicesPerParticipant,
			TracksPerConnection:     cfg.Limits.TracksPerConnection,
			SlotsPerConnection:      cfg.Limits.SlotsPerConnection,
			EventSubscribersPerRoom: cfg.Limits.EventSubscribersPerRoom,
			FailedTimeout:           cfg.Limits.FailedTimeout,
		},
		Congestion: room.CongestionOptions{
			Disabled:        cfg.RTC.Congestion.Disabled,
			Estimator:       bwe.EstimatorOptions{StartBitrate: cfg.RTC.Congestion.StartKbps * 1000},
			PacingFactor:    cfg.RTC.Congestion.PacingFactor,
			RetransmitShare: cfg.RTC.Congestion.RetransmitShare,
		},
	})
	n.grpcLis, err = net.Listen("tcp", cfg.GRPC.Listen)
	if err != nil {
		_ = media.Close()
		return nil, fmt.Errorf("listen gRPC on %s: %w", cfg.GRPC.Listen, err)
	}
	if host, _, _ := net.SplitHostPort(cfg.GRPC.Listen); cfg.GRPC.Insecure && !isLoopback(host) {
		log.Warn("!!! gRPC control plane listens IN PLAINTEXT WITHOUT AUTHENTICATION on a non-loopback address: "+
			"anyone who reaches this port controls the node; configure grpc.cert_file/key_file with grpc.client_ca_file or grpc.token",
			zap.String("listen", cfg.GRPC.Listen))
	}
	token := cfg.GRPC.Token
	if cfg.GRPC.TokenFile != "" {
		b, err := os.ReadFile(cfg.GRPC.TokenFile)
		if err != nil {
			_ = n.grpcLis.Close()
			_ = media.Close()
			return nil, fmt.Errorf("read grpc.token_file: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	secOpts, err := server.SecureServerOptions(server.Security{
		Insecure: cfg.GRPC.Insecure, CertFile: cfg.GRPC.CertFile, KeyFile: cfg.GRPC.KeyFile,
		ClientCAFile: cfg.GRPC.ClientCAFile, Token: token,
	})
	if err != nil {
		_ = n.grpcLis.Close()
		_ = media.Close()
		return nil, err
	}
	n.grpc = grpc.NewServer(append(server.ServerOptions(), secOpts...)...)
	server.New(n.rooms, server.Options{NodeID: cfg.NodeID, Version: Version, Logger: log.Named("grpc")}).Register(n.grpc)
	go func() { n.served <- n.grpc.Serve(n.grpcLis) }()

	if cfg.HTTP.Listen != "" {
		if err := n.startHTTP(); err != nil {
			n.grpc.Stop()
			_ = media.Close()
			return nil, err
		}
	}
	log.Info("node started", zap.String("node_id", cfg.NodeID), zap.String("version", Version),
		zap.String("grpc", n.GRPCAddr()), zap.Any("media", media.LocalAddrs()))

	if cfg.Demo.Participants > 0 && !cfg.GRPC.Insecure {
		log.Warn("demo participants need grpc.insecure; not starting them")
	} else if cfg.Demo.Participants > 0 {
		n.demo, err = startDemo(n.GRPCAddr(), cfg.Demo.Participants, log.Named("demo"))
		if err != nil {
			log.Warn("demo participants did not start", zap.Error(err))
		}
	}
	return n, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (n *Node) startHTTP() error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(n.rooms), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if n.rooms.Draining() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	if n.cfg.HTTP.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	lis, err := net.Listen("tcp", n.cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("listen HTTP on %s: %w", n.cfg.HTTP.Listen, err)
	}
	n.httpLis = lis
	n.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := n.http.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.served <- err
		}
	}()
	return nil
}

// GRPCAddr is the address the gRPC server listens on.
func (n *Node) GRPCAddr() string { return n.grpcLis.Addr().String() }

// HTTPAddr is the address of the metrics listener ("" if disabled).
func (n *Node) HTTPAddr() string {
	if n.httpLis == nil {
		return ""
	}
	return n.httpLis.Addr().String()
}

// Rooms exposes the room manager (tests, embedding).
func (n *Node) Rooms() *room.Manager { return n.rooms }

// Failed reports a listener that stopped serving on its own.
func (n *Node) Failed() <-chan error { return n.served }

// Drain refuses new rooms and waits until no connection is left (every
// participant has left; empty rooms do not hold the node) or ctx ends.
// What is still open then is left to Shutdown.
func (n *Node) Drain(ctx context.Context) {
	deadline, _ := ctx.Deadline()
	n.rooms.Drain(deadline)
	n.log.Info("draining", zap.Int("rooms", n.rooms.RoomCount()))
	if n.demo != nil {
		n.demo.stop()
		n.demo = nil
	}
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for n.rooms.Stats().Connections > 0 {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Shutdown closes every room, stops the servers and releases the port.
func (n *Node) Shutdown(ctx context.Context) error {
	if n.demo != nil {
		n.demo.stop()
		n.demo = nil
	}
	err := n.rooms.Close(ctx)
	stopped := make(chan struct{})
	go func() { n.grpc.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-ctx.Done():
		n.grpc.Stop()
	}
	if n.http != nil {
		_ = n.http.Shutdown(ctx)
	}
	if cerr := n.media.Close(); err == nil {
		err = cerr
	}
	return err
}

// Media exposes the media transport (tests).
func (n *Node) Media() *room.Media { return n.media }

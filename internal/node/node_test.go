package node

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/config"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

func testConfig() config.Config {
	cfg := config.Default()
	cfg.GRPC.Listen = "127.0.0.1:0"
	cfg.GRPC.Insecure = true
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.RTC.UDPPort = 0
	cfg.RTC.ListenIPs = []string{"127.0.0.1"}
	cfg.RTC.IncludeLoopback = true
	return cfg
}

// Drain (what SIGTERM does) refuses new rooms, turns /healthz to 503, and
// returns only once the last participant has left.
func TestDrainWaitsForParticipants(t *testing.T) {
	n, err := Start(testConfig(), zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	defer func() { _ = n.Shutdown(ctx) }()
	conn, err := grpc.NewClient(n.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	api := pb.NewMediaNodeClient(conn)
	if _, err := api.CreateRoom(ctx, &pb.CreateRoomRequest{RoomId: "r"}); err != nil {
		t.Fatal(err)
	}
	c, err := client.Join(ctx, client.Options{Node: api, RoomID: "r", ParticipantID: "p", DeviceID: "d", Audio: true, LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	events, err := api.Events(ctx, &pb.EventsRequest{RoomId: "r"})
	if err != nil {
		t.Fatal(err)
	}

	drained := make(chan struct{})
	go func() { n.Drain(ctx); close(drained) }()
	// Draining is visible before the drain completes.
	for !n.Rooms().Draining() {
		select {
		case <-drained:
			t.Fatal("drain returned while a participant was connected")
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := api.CreateRoom(ctx, &pb.CreateRoomRequest{RoomId: "new"}); err == nil {
		t.Error("draining node accepted a new room")
	}
	// The room hears about it, with the drain deadline.
	for {
		ev, err := events.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if d := ev.GetNodeDraining(); d != nil {
			if want, _ := ctx.Deadline(); d.GetDeadlineUnixMs() != want.UnixMilli() {
				t.Errorf("drain deadline %d, want %d", d.GetDeadlineUnixMs(), want.UnixMilli())
			}
			break
		}
	}
	resp, err := http.Get("http://" + n.HTTPAddr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/healthz while draining: %d", resp.StatusCode)
	}
	select {
	case <-drained:
		t.Fatal("drain returned while a participant was connected")
	default:
	}
	if err := c.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-drained:
	case <-ctx.Done():
		t.Fatal("drain did not return after the last participant left")
	}
}

func TestMetricsEndpoint(t *testing.T) {
	n, err := Start(testConfig(), zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = n.Shutdown(context.Background()) }()
	resp, err := http.Get("http://" + n.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	for _, m := range []string{"switchyard_rooms 0", "switchyard_rtp_packets_sent_total", "switchyard_draining 0"} {
		if !strings.Contains(string(body), m) {
			t.Errorf("/metrics lacks %q", m)
		}
	}
}

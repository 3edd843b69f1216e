package e2e

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/config"
	"github.com/switchyard-sfu/switchyard/internal/leakcheck"
	"github.com/switchyard-sfu/switchyard/internal/node"
	"github.com/switchyard-sfu/switchyard/internal/testnode"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// testTimeout bounds every wait; generous because the CI box is a loaded
// 2-core machine running the race detector.
const testTimeout = 60 * time.Second

type harness struct {
	t    *testing.T
	node *node.Node
	conn *grpc.ClientConn
	api  pb.MediaNodeClient
	ctx  context.Context
}

// startNode runs a real node (gRPC on loopback, media on 127.0.0.1) and
// registers cleanup that closes everything and checks for goroutine leaks.
func startNode(t *testing.T, configure ...func(*config.Config)) *harness {
	t.Helper()
	baseline := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 3*testTimeout)
	t.Cleanup(func() {
		cancel()
		leakcheck.Check(t, baseline)
	})
	cfg := testnode.Config("test-node")
	// Loopback is no bottleneck: start the congestion controller's
	// estimate high so layer tests see the layers their limits select
	// from the first allocation (the bottleneck test starts from the
	// default with its own node).
	cfg.RTC.Congestion.StartKbps = 10_000
	for _, f := range configure {
		f(&cfg)
	}
	n := testnode.Start(t, cfg)
	h := &harness{t: t, node: n.Node, conn: n.Conn, api: n.API, ctx: ctx}
	return h
}

func (h *harness) createRoom(id string) {
	h.t.Helper()
	if _, err := h.api.CreateRoom(h.ctx, &pb.CreateRoomRequest{RoomId: id}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) join(room, participant, device string, o client.Options) *client.Client {
	h.t.Helper()
	o.Node = h.api
	o.RoomID, o.ParticipantID, o.DeviceID = room, participant, device
	if o.DisplayName == "" {
		o.DisplayName = participant
	}
	o.LoopbackOnly = true
	o.Logger = zaptest.NewLogger(h.t, zaptest.Level(zap.WarnLevel))
	ctx, cancel := context.WithTimeout(h.ctx, testTimeout)
	defer cancel()
	c, err := client.Join(ctx, o)
	if err != nil {
		h.t.Fatalf("join %s/%s: %v", participant, device, err)
	}
	h.t.Cleanup(c.Close)
	if err := c.WaitConnected(ctx); err != nil {
		h.t.Fatal(err)
	}
	return c
}

// eventually waits until cond holds, checking at every change of the given
// clients and at least every 50 ms; it fails the test after testTimeout.
func (h *harness) eventually(what string, cond func() bool, clients ...*client.Client) {
	h.t.Helper()
	deadline := time.NewTimer(testTimeout)
	defer deadline.Stop()
	for !cond() {
		var changed <-chan struct{}
		if len(clients) > 0 {
			changed = clients[0].Changed()
		}
		tick := time.NewTimer(50 * time.Millisecond)
		select {
		case <-changed:
		case <-tick.C:
		case <-deadline.C:
			tick.Stop()
			h.t.Fatalf("timed out waiting for %s", what)
		}
		tick.Stop()
	}
}

// tracksFrom returns c's downstream tracks published by the connection pub.
func tracksFrom(c *client.Client, pub *client.Client) []client.TrackStats {
	var out []client.TrackStats
	for _, t := range c.Tracks() {
		if t.StreamID == pub.ConnectionID() {
			out = append(out, t)
		}
	}
	return out
}

// receivingFrom reports whether c gets live audio and video (at least n
// marked packets each, video with a keyframe) from pub.
func receivingFrom(c, pub *client.Client, n uint64) bool {
	var audio, video bool
	for _, t := range tracksFrom(c, pub) {
		if t.Ended || t.Packets < n || t.SourceID == 0 {
			continue
		}
		switch t.Kind {
		case "audio":
			audio = true
		case "video":
			video = t.Keyframes > 0 // decodable
		}
	}
	return audio && video
}

func eventsOfType[T any](evs []*pb.Event, get func(*pb.Event) T) []T {
	var out []T
	var zero T
	for _, e := range evs {
		if v := get(e); any(v) != any(zero) {
			out = append(out, v)
		}
	}
	return out
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

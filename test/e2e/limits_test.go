package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"google.golang.org/grpc/codes"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/config"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// Each configured limit answers ResourceExhausted and leaves what exists
// untouched.
func TestLimits(t *testing.T) {
	h := startNode(t, func(c *config.Config) {
		c.Limits.Rooms = 2
		c.Limits.DevicesPerParticipant = 1
		c.Limits.TracksPerConnection = 1
		c.Limits.SlotsPerConnection = 2
		c.Limits.EventSubscribersPerRoom = 1
	})
	h.createRoom("l1")
	h.createRoom("l2")
	_, err := h.api.CreateRoom(h.ctx, &pb.CreateRoomRequest{RoomId: "l3"})
	wantCode(t, "third room", err, codes.ResourceExhausted, "limits.rooms")

	join := func(participant, device string, o client.Options) error {
		o.Node, o.RoomID, o.ParticipantID, o.DeviceID, o.LoopbackOnly = h.api, "l1", participant, device, true
		c, err := client.Join(h.ctx, o)
		if err == nil {
			t.Cleanup(c.Close)
		}
		return err
	}
	if err := join("alice", "phone", client.Options{Audio: true}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "second device", join("alice", "laptop", client.Options{Audio: true}), codes.ResourceExhausted, "devices")
	if err := join("alice", "phone", client.Options{Audio: true}); err != nil {
		t.Errorf("the same device rejoining must replace its connection: %v", err)
	}
	wantCode(t, "two published tracks", join("bob", "d", client.Options{Audio: true, Video: true}), codes.ResourceExhausted, "publishes 2")
	wantCode(t, "three slots", join("carol", "d", client.Options{AudioSlots: 1, VideoSlots: 2}), codes.ResourceExhausted, "receive slots")

	// Two Events streams on a quiet room: one holds the only subscriber
	// place and waits for events, the other is refused at once.
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		stream, err := h.api.Events(ctx, &pb.EventsRequest{RoomId: "l2"})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			_, err := stream.Recv()
			errs <- err
		}()
	}
	select {
	case err := <-errs:
		wantCode(t, "second event subscriber", err, codes.ResourceExhausted, "event subscribers")
	case <-time.After(testTimeout):
		t.Fatal("both event subscribers accepted")
	}
	cancel()
	<-errs
}

// A client that vanishes (its network gone, no goodbye) is announced failed,
// then cleaned up after the configured timeout: its sources end and slots
// that showed them elsewhere go to no source.
func TestVanishedClientIsCleanedUp(t *testing.T) {
	h := startNode(t, func(c *config.Config) {
		c.Limits.ICEDisconnectedTimeout = time.Second
		c.Limits.ICEFailedTimeout = 2 * time.Second
		c.Limits.FailedTimeout = 500 * time.Millisecond
	})
	h.createRoom("gone")
	pub := h.join("gone", "pub", "d", client.Options{Audio: true, Video: true})
	_, src := pub.SourceIDs()
	h.waitSources("gone", src)
	rx := h.join("gone", "rx", "d", client.Options{VideoSlots: 1})
	mid := rx.SlotMids(webrtc.RTPCodecTypeVideo)[0]
	h.requestMedia(rx, &pb.MediaRequest{Seq: 1, Requests: []*pb.MediaRequestEntry{pinned(src, large, mid)}})
	h.eventually("live", func() bool { return live(rx, mid, src) }, rx)

	pub.Vanish()
	conn := pub.ConnectionID()
	h.eventually("failed, then cleaned up", func() bool {
		var failed, left bool
		for _, e := range rx.Events() {
			if s := e.GetConnectionStateChanged(); s != nil && s.GetConnectionId() == conn && s.GetState() == pb.ConnectionState_CONNECTION_STATE_FAILED {
				failed = true
			}
			if d := e.GetDeviceLeft(); d != nil && d.GetConnectionId() == conn && d.GetReason() == "connection failed" {
				left = true
			}
		}
		return failed && left
	}, rx)
	h.eventually("slot without a source", func() bool {
		st := lastSlotStatus(rx, mid)
		return st.GetState() == pb.SlotState_SLOT_STATE_INVALID_SOURCE || st.GetState() == pb.SlotState_SLOT_STATE_NO_SOURCE
	}, rx)
}

// A client that closes its connection (DTLS goodbye) without the meeting
// service calling Leave is cleaned up at once.
func TestClosedClientIsCleanedUp(t *testing.T) {
	h := startNode(t)
	h.createRoom("bye")
	c := h.join("bye", "p", "d", client.Options{Audio: true})
	obs := h.join("bye", "obs", "d", client.Options{Audio: true})
	conn := c.ConnectionID()
	c.Close()
	h.eventually("device left", func() bool {
		for _, e := range obs.Events() {
			if d := e.GetDeviceLeft(); d != nil && d.GetConnectionId() == conn {
				return true
			}
		}
		return false
	}, obs)
}

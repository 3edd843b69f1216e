package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/config"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// An ICE restart through a ROAP offer recovers media on the same
// connection after the client's network was gone.
func TestICERestartRecoversMedia(t *testing.T) {
	h := startNode(t, func(c *config.Config) {
		c.Limits.ICEDisconnectedTimeout = time.Second
		c.Limits.ICEFailedTimeout = 2 * time.Second
		c.Limits.FailedTimeout = time.Minute // keep the failed connection for the restart
	})
	h.createRoom("restart")
	pub := h.join("restart", "pub", "d", client.Options{Audio: true, Video: true})
	rx := h.join("restart", "rx", "d", client.Options{Audio: true})
	h.eventually("media", func() bool { return receivingFrom(rx, pub, 20) }, rx)
	conn := pub.ConnectionID()

	pub.Vanish()
	h.eventually("node notices", func() bool {
		for _, e := range rx.Events() {
			if s := e.GetConnectionStateChanged(); s != nil && s.GetConnectionId() == conn &&
				(s.GetState() == pb.ConnectionState_CONNECTION_STATE_DISCONNECTED || s.GetState() == pb.ConnectionState_CONNECTION_STATE_FAILED) {
				return true
			}
		}
		return false
	}, rx)
	before := tracksFrom(rx, pub)
	pub.Reappear()
	ctx, cancel := context.WithTimeout(h.ctx, testTimeout)
	defer cancel()
	if err := pub.Renegotiate(ctx, true); err != nil {
		t.Fatalf("ICE restart: %v", err)
	}
	h.eventually("media resumes on the same connection", func() bool {
		now := tracksFrom(rx, pub)
		return len(now) == 2 && len(before) == 2 &&
			now[0].Packets > before[0].Packets+20 && now[1].Packets > before[1].Packets+20
	}, rx)
	if pub.ConnectionID() != conn {
		t.Error("connection id changed")
	}
}

// A publisher that never sends a keyframe (and one that sends nothing
// useful) leaves its slot waiting, but never stalls the receiver's other
// slots.
func TestBrokenPublisherDoesNotStallOthers(t *testing.T) {
	h := startNode(t)
	h.createRoom("broken")
	broken := h.join("broken", "broken", "d", client.Options{Video: true, NoKeyframes: true})
	good := h.join("broken", "good", "d", client.Options{Video: true})
	_, bsrc := broken.SourceIDs()
	_, gsrc := good.SourceIDs()
	h.waitSources("broken", bsrc, gsrc)
	rx := h.join("broken", "rx", "d", client.Options{VideoSlots: 2})
	mids := rx.SlotMids(webrtc.RTPCodecTypeVideo)
	h.requestMedia(rx, &pb.MediaRequest{Seq: 1, Requests: []*pb.MediaRequestEntry{
		pinned(bsrc, large, mids[0]), pinned(gsrc, large, mids[1]),
	}})
	h.eventually("the good slot flows", func() bool {
		return slotTrack(rx, mids[1]).Packets > 100 && slotTrack(rx, mids[1]).Keyframes > 0
	}, rx)
	if n := slotTrack(rx, mids[0]).Packets; n != 0 {
		t.Errorf("%d packets of a stream without keyframes were forwarded", n)
	}
	if p := broken.PLIs(); p[0] == 0 {
		t.Error("the node never asked the broken publisher for a keyframe")
	}
}

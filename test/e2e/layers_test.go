package e2e

import (
	"testing"

	"github.com/pion/webrtc/v4"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// Acceptance 2 and 4: each slot gets the layer its maxFs fits (thumbnail the
// lowest, main the highest); a switch up asks the target layer for exactly
// one keyframe and a layer no slot needs gets none.
func TestLayerSelectionFollowsMaxFs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		codec string
		ssrc  bool
	}{
		{"RID/VP8", webrtc.MimeTypeVP8, false},
		{"SSRC/VP8", webrtc.MimeTypeVP8, true},
		{"RID/H264", webrtc.MimeTypeH264, false},
		{"SSRC/H264", webrtc.MimeTypeH264, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testLayerSelection(t, client.Options{Video: true, Simulcast: lightSimulcast, VideoFPS: 10, VideoCodec: tc.codec, SSRCSimulcast: tc.ssrc})
		})
	}
}

func testLayerSelection(t *testing.T, pubOpts client.Options) {
	h := startNode(t)
	h.createRoom("layers")
	pub := h.join("layers", "pub", "d", pubOpts)
	rx := h.join("layers", "rx", "d", client.Options{VideoSlots: 2})
	_, src := pub.SourceIDs()
	h.waitSources("layers", src)
	// The node sees three layers: RIDs q/h/f as sent, or l0/l1/l2 that it
	// assigned to the SSRCs of an a=ssrc-group:SIM.
	wantRIDs := []string{"q", "h", "f"}
	if pubOpts.SSRCSimulcast {
		wantRIDs = []string{"l0", "l1", "l2"}
	}
	h.eventually("three layers", func() bool {
		r, err := h.api.GetRoom(h.ctx, &pb.GetRoomRequest{RoomId: "layers"})
		if err != nil {
			return false
		}
		for _, p := range r.GetParticipants() {
			for _, d := range p.GetDevices() {
				for _, tr := range d.GetPublishedTracks() {
					if tr.GetSourceId() != src || len(tr.GetLayers()) != 3 {
						continue
					}
					for i, l := range tr.GetLayers() {
						if l.GetRid() != wantRIDs[i] || int(l.GetIndex()) != i {
							t.Fatalf("layers %v, want rids %v", tr.GetLayers(), wantRIDs)
						}
					}
					return tr.GetMimeType() == pubOpts.VideoCodec
				}
			}
		}
		return false
	})
	mids := rx.SlotMids(webrtc.RTPCodecTypeVideo)
	thumb, main := mids[0], mids[1]

	// Only a thumbnail first: layer 0 flows, layers 1 and 2 are never asked
	// for a keyframe.
	h.requestMedia(rx, &pb.MediaRequest{Seq: 1, Requests: []*pb.MediaRequestEntry{pinned(src, thumbnail, thumb)}})
	h.eventually("thumbnail live at layer 0", func() bool {
		st := lastSlotStatus(rx, thumb)
		tr := slotTrack(rx, thumb)
		return st.GetState() == pb.SlotState_SLOT_STATE_LIVE && st.GetLayer() == 0 && tr.Keyframes > 0 && tr.LastLayer == 0 && tr.Packets > 30
	}, rx)
	if p := pub.PLIs(); p[1] != 0 || p[2] != 0 {
		t.Errorf("unused layers were asked for keyframes: %v", p)
	}
	var needed *pb.LayersNeeded
	for _, e := range rx.Events() {
		if n := e.GetLayersNeeded(); n != nil && n.GetSourceId() == src {
			needed = n
		}
	}
	if needed == nil || len(needed.GetLayers()) != 1 || needed.GetLayers()[0] != 0 {
		t.Errorf("layers needed: %v, want [0]", needed)
	}

	// Add the main slot on the same source: it switches up to layer 2 with
	// exactly one keyframe request to layer 2, none to layer 1.
	before := pub.PLIs()
	h.requestMedia(rx, &pb.MediaRequest{Seq: 2, Requests: []*pb.MediaRequestEntry{
		pinned(src, thumbnail, thumb), pinned(src, large, main),
	}})
	h.eventually("main live at layer 2", func() bool {
		st := lastSlotStatus(rx, main)
		tr := slotTrack(rx, main)
		return st.GetState() == pb.SlotState_SLOT_STATE_LIVE && st.GetLayer() == 2 && tr.LastLayer == 2 && tr.Keyframes > 0
	}, rx)
	after := pub.PLIs()
	if d := after[2] - before[2]; d != 1 {
		t.Errorf("layer 2 got %d keyframe requests for one switch, want 1", d)
	}
	if after[1] != before[1] {
		t.Errorf("layer 1 was asked for a keyframe though no slot needs it: %v → %v", before, after)
	}
	if tr := slotTrack(rx, thumb); tr.LastLayer != 0 {
		t.Errorf("thumbnail moved to layer %d", tr.LastLayer)
	}

	// Shrinking the main slot to medium (3600 = 1280x720 fits? no: 720p is
	// exactly 3600 MBs; 920 = 640x360) moves it down to layer 1.
	h.requestMedia(rx, &pb.MediaRequest{Seq: 3, Requests: []*pb.MediaRequestEntry{
		pinned(src, thumbnail, thumb), pinned(src, &pb.MediaLimits{MaxFs: 920}, main),
	}})
	h.eventually("main down to layer 1", func() bool {
		st := lastSlotStatus(rx, main)
		return st.GetLayer() == 1 && slotTrack(rx, main).LastLayer == 1
	}, rx)
	if pubOpts.VideoCodec == webrtc.MimeTypeVP8 {
		// maxFps 7.5 keeps only temporal layer 0 (the publisher sends
		// L1T3: TID0 at a quarter of the frame rate).
		h.requestMedia(rx, &pb.MediaRequest{Seq: 4, Requests: []*pb.MediaRequestEntry{
			pinned(src, thumbnail, thumb), pinned(src, &pb.MediaLimits{MaxFs: 920, MaxFps: 750}, main),
		}})
		before := slotTrack(rx, main).FramesByTID
		h.eventually("a second of TID0-only frames", func() bool {
			return slotTrack(rx, main).FramesByTID[0] >= before[0]+10
		}, rx)
		after := slotTrack(rx, main).FramesByTID
		// A frame or two may have been in flight when the limit applied.
		if extra := after[1] + after[2] - before[1] - before[2]; extra > 2 {
			t.Errorf("%d frames above TID0 forwarded with maxFps 7.5 (%v → %v)", extra, before, after)
		}
		if tr := slotTrack(rx, main); tr.PictureIDJumps > tr.RTPGaps {
			t.Errorf("picture ids not continuous while dropping temporal layers: %+v", tr)
		}
	}
	for _, mid := range mids {
		if tr := slotTrack(rx, mid); tr.PictureIDJumps > tr.RTPGaps {
			t.Errorf("slot %s not continuous across layer switches: %+v", mid, tr)
		}
	}
}

// A publisher that sends a simulcast layer its a=simulcast line did not
// declare: the layer is ignored and counted, the others are forwarded.
func TestUndeclaredLayerIgnored(t *testing.T) {
	h := startNode(t)
	h.createRoom("undeclared")
	pub := h.join("undeclared", "pub", "d", client.Options{Video: true, Simulcast: lightSimulcast, VideoFPS: 10, DeclareLayers: 2})
	_, src := pub.SourceIDs()
	h.waitSources("undeclared", src)
	h.eventually("undeclared layer counted", func() bool { return h.node.Rooms().Stats().Totals.UndeclaredLayers > 0 })
	rx := h.join("undeclared", "rx", "d", client.Options{VideoSlots: 1})
	mid := rx.SlotMids(webrtc.RTPCodecTypeVideo)[0]
	h.requestMedia(rx, &pb.MediaRequest{Seq: 1, Requests: []*pb.MediaRequestEntry{pinned(src, large, mid)}})
	// Asking for the largest size gets the highest declared layer (1).
	h.eventually("live at the top declared layer", func() bool {
		st := lastSlotStatus(rx, mid)
		return st.GetState() == pb.SlotState_SLOT_STATE_LIVE && st.GetLayer() == 1 && slotTrack(rx, mid).LastLayer == 1
	}, rx)
	r, err := h.api.GetRoom(h.ctx, &pb.GetRoomRequest{RoomId: "undeclared"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.GetParticipants() {
		for _, d := range p.GetDevices() {
			for _, tr := range d.GetPublishedTracks() {
				if tr.GetSourceId() == src && len(tr.GetLayers()) != 2 {
					t.Errorf("source has %d layers, want the 2 declared", len(tr.GetLayers()))
				}
			}
		}
	}
}

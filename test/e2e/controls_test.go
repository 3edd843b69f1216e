package e2e

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"google.golang.org/grpc/codes"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// sentAfter reports whether tr received a packet that its publisher sent
// after stop. Counting packets instead would also count what was sent before
// the stop and still sat in sockets or in a reader that fell behind on a
// loaded box; the node's stop itself is synchronous (covered by
// pkg/forwarder's unit tests), so nothing sent after it may arrive.
func sentAfter(tr client.TrackStats, stop time.Time) bool { return tr.NewestSentAt.After(stop) }

// Acceptance 5: a moderator's mute stops forwarding at the node and shows
// avatar; hold stops media both ways and resume restarts at a keyframe;
// the share floor decides whose share reaches share slots; UpdateMedia
// stops receiving without renegotiation.
func TestMuteHoldFloorUpdate(t *testing.T) {
	h := startNode(t)
	h.createRoom("ctl")
	alice := h.join("ctl", "alice", "d", client.Options{Audio: true, Video: true, Share: true})
	bob := h.join("ctl", "bob", "d", client.Options{Audio: true, Video: true, Share: true})
	rx := h.join("ctl", "rx", "d", client.Options{AudioSlots: 1, VideoSlots: 2})
	_, aliceVideo := alice.SourceIDs()
	aliceAudio, _ := alice.SourceIDs()
	h.waitSources("ctl", aliceVideo, aliceAudio)
	video := rx.SlotMids(webrtc.RTPCodecTypeVideo)
	audio := rx.SlotMids(webrtc.RTPCodecTypeAudio)
	cam, share := video[0], video[1]
	h.requestMedia(rx, &pb.MediaRequest{Seq: 1, Requests: []*pb.MediaRequestEntry{
		pinned(aliceVideo, large, cam),
		pinned(aliceAudio, nil, audio[0]),
		{Policy: &pb.MediaRequestEntry_ActiveSpeaker{ActiveSpeaker: &pb.ActiveSpeakerPolicy{Priority: 255}},
			Slots: []string{share}, Limits: large, Content: pb.MediaContent_MEDIA_CONTENT_SLIDES},
	}})
	h.eventually("alice live", func() bool { return live(rx, cam, aliceVideo) && slotTrack(rx, cam).Packets > 20 }, rx)
	h.eventually("alice heard", func() bool { return slotTrack(rx, audio[0]).Packets > 20 }, rx)
	if st := lastSlotStatus(rx, share); st.GetState() != pb.SlotState_SLOT_STATE_NO_SOURCE {
		t.Errorf("share slot without a floor holder: %v", st)
	}

	// Mute by a moderator (bob): avatar, and the node stops forwarding.
	if _, err := h.api.SetMute(h.ctx, &pb.SetMuteRequest{RoomId: "ctl", ParticipantId: "alice", Kind: pb.TrackKind_TRACK_KIND_VIDEO, Muted: true, ByParticipantId: "bob"}); err != nil {
		t.Fatal(err)
	}
	muteDone := time.Now()
	h.eventually("avatar", func() bool {
		st := lastSlotStatus(rx, cam)
		return st.GetState() == pb.SlotState_SLOT_STATE_AVATAR && st.GetSourceId() == aliceVideo
	}, rx)
	elapse := func(what string, n uint64) {
		until := slotTrack(rx, audio[0]).Packets + n
		h.eventually(what, func() bool { return slotTrack(rx, audio[0]).Packets >= until }, rx)
	}
	elapse("1 s of alice's audio", 50)
	if tr := slotTrack(rx, cam); sentAfter(tr, muteDone) {
		t.Errorf("video alice sent %v after the mute was forwarded", tr.NewestSentAt.Sub(muteDone))
	}
	var muteEvent *pb.MuteChanged
	for _, e := range rx.Events() {
		if m := e.GetMuteChanged(); m != nil {
			muteEvent = m
		}
	}
	if muteEvent == nil || muteEvent.GetParticipantId() != "alice" || muteEvent.GetByParticipantId() != "bob" || !muteEvent.GetMuted() {
		t.Errorf("mute event %v", muteEvent)
	}
	if _, err := h.api.SetMute(h.ctx, &pb.SetMuteRequest{RoomId: "ctl", ParticipantId: "alice", Kind: pb.TrackKind_TRACK_KIND_VIDEO, Muted: false, ByParticipantId: "alice"}); err != nil {
		t.Fatal(err)
	}
	keys := slotTrack(rx, cam).Keyframes
	h.eventually("unmuted: live again from a keyframe", func() bool {
		return live(rx, cam, aliceVideo) && slotTrack(rx, cam).Keyframes > keys
	}, rx)

	// Hold: nothing reaches the held receiver; resume restarts at a keyframe.
	if _, err := h.api.SetHold(h.ctx, &pb.SetHoldRequest{ConnectionId: rx.ConnectionID(), Held: true}); err != nil {
		t.Fatal(err)
	}
	holdDone := time.Now()
	var held bool
	h.eventually("hold announced", func() bool {
		for _, e := range rx.Events() {
			if hc := e.GetHoldChanged(); hc != nil && hc.GetConnectionId() == rx.ConnectionID() && hc.GetHeld() {
				held = true
			}
		}
		return held
	}, rx)
	frozenAudio := slotTrack(rx, audio[0]).Packets
	sentBefore, _ := alice.Sent()
	h.eventually("alice sends 1 s of audio", func() bool { a, _ := alice.Sent(); return a > sentBefore+50 })
	if v, a := slotTrack(rx, cam), slotTrack(rx, audio[0]); sentAfter(v, holdDone) || sentAfter(a, holdDone) {
		t.Errorf("held connection still received media sent after the hold (video %v, audio %v later)",
			v.NewestSentAt.Sub(holdDone), a.NewestSentAt.Sub(holdDone))
	}
	if _, err := h.api.SetHold(h.ctx, &pb.SetHoldRequest{ConnectionId: rx.ConnectionID(), Held: false}); err != nil {
		t.Fatal(err)
	}
	keys = slotTrack(rx, cam).Keyframes
	h.eventually("resumed at a keyframe", func() bool {
		return slotTrack(rx, cam).Keyframes > keys && slotTrack(rx, audio[0]).Packets > frozenAudio+10
	}, rx)

	// Floor: alice's share, then bob's, never both.
	if _, err := h.api.GrantFloor(h.ctx, &pb.GrantFloorRequest{RoomId: "ctl", ParticipantId: "alice"}); err != nil {
		t.Fatal(err)
	}
	h.eventually("alice's share in the share slot", func() bool {
		return live(rx, share, alice.ShareSourceID()) && slotTrack(rx, share).LastSourceID == alice.ShareSourceID()
	}, rx)
	res, err := h.api.GrantFloor(h.ctx, &pb.GrantFloorRequest{RoomId: "ctl", ParticipantId: "bob"})
	if err != nil || res.GetParticipantId() != "bob" {
		t.Fatalf("grant to bob: %v %v", res, err)
	}
	h.eventually("bob's share replaces alice's", func() bool {
		return live(rx, share, bob.ShareSourceID()) && slotTrack(rx, share).LastSourceID == bob.ShareSourceID()
	}, rx)
	var floor *pb.FloorChanged
	for _, e := range rx.Events() {
		if f := e.GetFloorChanged(); f != nil {
			floor = f
		}
	}
	if floor.GetParticipantId() != "bob" || floor.GetPreviousParticipantId() != "alice" {
		t.Errorf("floor event %v", floor)
	}
	if _, err := h.api.ReleaseFloor(h.ctx, &pb.ReleaseFloorRequest{RoomId: "ctl", ParticipantId: "alice"}); err != nil {
		t.Fatal(err)
	} // alice does not hold it: nothing changes
	if _, err := h.api.ReleaseFloor(h.ctx, &pb.ReleaseFloorRequest{RoomId: "ctl"}); err != nil {
		t.Fatal(err)
	}
	h.eventually("share slot empty after release", func() bool {
		return lastSlotStatus(rx, share).GetState() == pb.SlotState_SLOT_STATE_NO_SOURCE
	}, rx)

	// UpdateMedia: stop receiving video without renegotiation.
	off := false
	if _, err := h.api.UpdateMedia(h.ctx, &pb.UpdateMediaRequest{ConnectionId: rx.ConnectionID(), ReceiveVideo: &off}); err != nil {
		t.Fatal(err)
	}
	offDone := time.Now()
	elapse("1 s without video", 50)
	if tr := slotTrack(rx, cam); sentAfter(tr, offDone) {
		t.Errorf("video sent %v after receive_video=false was forwarded", tr.NewestSentAt.Sub(offDone))
	}
}

// Acceptance 6: bad media requests are refused with the field named and the
// previous request stays in force; controls on unknown ids are NotFound.
func TestBadMediaRequests(t *testing.T) {
	h := startNode(t)
	h.createRoom("badreq")
	pub := h.join("badreq", "pub", "d", client.Options{Audio: true, Video: true})
	rx := h.join("badreq", "rx", "d", client.Options{AudioSlots: 1, VideoSlots: 2})
	auto := h.join("badreq", "auto", "d", client.Options{Audio: true})
	_, src := pub.SourceIDs()
	h.waitSources("badreq", src)
	mids := rx.SlotMids(webrtc.RTPCodecTypeVideo)
	h.requestMedia(rx, &pb.MediaRequest{Seq: 5, Requests: []*pb.MediaRequestEntry{pinned(src, large, mids[0])}})
	h.eventually("live", func() bool { return live(rx, mids[0], src) }, rx)

	bad := []struct {
		name    string
		entries []*pb.MediaRequestEntry
		mention string
	}{
		{"unknown mid", []*pb.MediaRequestEntry{pinned(src, large, "nope")}, `"nope"`},
		{"unknown source", []*pb.MediaRequestEntry{pinned(12345, large, mids[0])}, "source_id 12345"},
		{"slot twice", []*pb.MediaRequestEntry{pinned(src, large, mids[0], mids[0])}, "already used"},
		{"maxFs 0", []*pb.MediaRequestEntry{pinned(src, &pb.MediaLimits{}, mids[0])}, "max_fs"},
		{"priority out of range", []*pb.MediaRequestEntry{activeSpeaker(256, large, mids[0])}, "priority"},
		{"more slots than offered", []*pb.MediaRequestEntry{activeSpeaker(1, large, mids[0], mids[1], "2", "3", "4")}, "slot"},
		{"no policy", []*pb.MediaRequestEntry{{Slots: []string{mids[0]}, Limits: large}}, "policy"},
	}
	for i, b := range bad {
		_, err := rx.RequestMedia(h.ctx, &pb.MediaRequest{Seq: uint64(10 + i), Requests: b.entries})
		wantCode(t, b.name, err, codes.InvalidArgument, b.mention)
	}
	// The request in force is still seq 5 and the slot still live.
	ack := h.requestMedia(rx, &pb.MediaRequest{Seq: 5})
	stillLive := false
	for _, st := range ack.GetSlots() {
		if st.GetMid() == mids[0] && st.GetState() == pb.SlotState_SLOT_STATE_LIVE && st.GetSourceId() == src {
			stillLive = true
		}
	}
	if ack.GetApplied() || ack.GetSeq() != 5 || !stillLive {
		t.Errorf("re-ack of seq 5: %v", ack)
	}
	if ack := h.requestMedia(rx, &pb.MediaRequest{Seq: 4}); ack.GetApplied() || ack.GetSeq() != 5 {
		t.Errorf("older request: %v", ack)
	}
	_, err := auto.RequestMedia(h.ctx, &pb.MediaRequest{Seq: 1, Requests: []*pb.MediaRequestEntry{pinned(src, large, "0")}})
	wantCode(t, "media request on an auto-subscribe connection", err, codes.InvalidArgument, "SUBSCRIBE_MODE_SLOTS")
	_, err = h.api.RequestMedia(h.ctx, &pb.MediaRequest{ConnectionId: "c-nope", Seq: 1})
	wantCode(t, "unknown connection", err, codes.NotFound, "")

	_, err = h.api.SetMute(h.ctx, &pb.SetMuteRequest{RoomId: "badreq", ParticipantId: "ghost", Kind: pb.TrackKind_TRACK_KIND_AUDIO, Muted: true})
	wantCode(t, "mute unknown participant", err, codes.NotFound, "ghost")
	_, err = h.api.SetMute(h.ctx, &pb.SetMuteRequest{RoomId: "badreq", ParticipantId: "pub", Muted: true})
	wantCode(t, "mute without kind", err, codes.InvalidArgument, "kind")
	_, err = h.api.SetHold(h.ctx, &pb.SetHoldRequest{ConnectionId: "c-nope", Held: true})
	wantCode(t, "hold unknown connection", err, codes.NotFound, "")
	_, err = h.api.GrantFloor(h.ctx, &pb.GrantFloorRequest{RoomId: "badreq", ParticipantId: "ghost"})
	wantCode(t, "floor to unknown participant", err, codes.NotFound, "ghost")
	_, err = h.api.GrantFloor(h.ctx, &pb.GrantFloorRequest{RoomId: "nope", ParticipantId: "pub"})
	wantCode(t, "floor in unknown room", err, codes.NotFound, "")
	_, err = h.api.UpdateMedia(h.ctx, &pb.UpdateMediaRequest{ConnectionId: "c-nope"})
	wantCode(t, "update unknown connection", err, codes.NotFound, "")
	if !live(rx, mids[0], src) {
		t.Error("slot no longer live after bad requests")
	}
}

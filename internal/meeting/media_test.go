package meeting_test

import (
	"encoding/json"
	"testing"

	"github.com/pion/webrtc/v4"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/meeting"
	"github.com/switchyard-sfu/switchyard/internal/meeting/wsclient"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

var publisher = client.Options{Audio: true, Video: true, VideoFPS: 15, AudioSlots: 1, VideoSlots: 1}

// requestOthers fills b's video and audio slot by active speaker.
func (h *harness) requestOthers(b *browser, seq uint64) *pb.MediaRequestAck {
	h.t.Helper()
	video, audio := b.c.SlotMids(webrtc.RTPCodecTypeVideo), b.c.SlotMids(webrtc.RTPCodecTypeAudio)
	ack, err := b.c.RequestMedia(h.ctx, &pb.MediaRequest{Seq: seq, Requests: []*pb.MediaRequestEntry{
		client.ActiveSpeaker(255, &pb.MediaLimits{MaxFs: 8192}, video...),
		client.ActiveSpeaker(255, nil, audio...),
	}})
	if err != nil {
		h.t.Fatalf("media request: %v", err)
	}
	return ack
}

// receives reports whether b's slot mid gets packets of source.
func receives(b *browser, mid string, source uint32) bool {
	st := b.c.Tracks()["slot-"+mid]
	return st.Packets > 0 && st.LastSourceID == source
}

// lastSlot is the newest `slots` status of mid that b's page received.
func lastSlot(b *browser, mid string) (meeting.SlotJS, bool) {
	msgs := b.conn.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Type != meeting.TypeSlots {
			continue
		}
		var s meeting.SlotsMsg
		_ = msgs[i].Decode(&s)
		for _, sl := range s.Slots {
			if sl.Mid == mid {
				return sl, true
			}
		}
	}
	return meeting.SlotJS{}, false
}

func lastRoster(c *wsclient.Conn) meeting.RosterMsg {
	var r meeting.RosterMsg
	msgs := c.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Type == meeting.TypeRoster {
			_ = msgs[i].Decode(&r)
			return r
		}
	}
	return r
}

func isNodeOffer(m wsclient.Message) bool {
	var r meeting.RoapOutMsg
	return m.Type == meeting.TypeRoap && json.Unmarshal(m.Raw, &r) == nil && r.Roap != nil &&
		(r.Roap.MessageType == "OFFER" || r.Roap.MessageType == "OFFER_RESPONSE")
}

// answered reports whether c sent an ANSWER with seq.
func answered(c *wsclient.Conn, seq uint64) bool {
	for _, b := range c.Sent() {
		var r meeting.RoapOutMsg
		if json.Unmarshal(b, &r) == nil && r.Type == meeting.TypeRoap && r.Roap != nil && r.Roap.MessageType == "ANSWER" && r.Roap.Seq == seq {
			return true
		}
	}
	return false
}

func nodeOffers(c *wsclient.Conn) int {
	n := 0
	for _, m := range c.Messages() {
		if isNodeOffer(m) {
			n++
		}
	}
	return n
}

// Two browsers meet through the service: each receives the other's audio
// and video in its slots, slot status and the roster reach the pages, a
// node-initiated offer is relayed and answered, a mute shows as avatar, and
// a leave updates the other's roster.
func TestTwoBrowsersMeetThroughService(t *testing.T) {
	h := start(t, nil)
	alice := h.join("standup", "Alice", publisher)
	bob := h.join("standup", "Bob", publisher)

	ja, jb := alice.node.Joined(), bob.node.Joined()
	if ja.Meeting != "standup" || ja.Node != "node-t" || ja.ParticipantID == "" || ja.ConnectionID == jb.ConnectionID {
		t.Fatalf("joined: %+v / %+v", ja, jb)
	}
	if conns := h.connections("standup"); !conns[ja.ConnectionID] || !conns[jb.ConnectionID] {
		t.Fatalf("node connections %v lack %s or %s", conns, ja.ConnectionID, jb.ConnectionID)
	}

	// Media both ways, through slots filled by active speaker.
	aAudio, aVideo := alice.c.SourceIDs()
	bAudio, bVideo := bob.c.SourceIDs()
	if ack := h.requestOthers(alice, 1); !ack.GetApplied() {
		t.Fatalf("ack %v", ack)
	}
	h.requestOthers(bob, 1)
	aV, aA := alice.c.SlotMids(webrtc.RTPCodecTypeVideo)[0], alice.c.SlotMids(webrtc.RTPCodecTypeAudio)[0]
	bV, bA := bob.c.SlotMids(webrtc.RTPCodecTypeVideo)[0], bob.c.SlotMids(webrtc.RTPCodecTypeAudio)[0]
	h.eventually("Alice receives Bob", func() bool { return receives(alice, aV, bVideo) && receives(alice, aA, bAudio) }, alice.c)
	h.eventually("Bob receives Alice", func() bool { return receives(bob, bV, aVideo) && receives(bob, bA, aAudio) }, bob.c)

	// The node's slot status reached each page, addressed to it alone.
	h.eventually("Alice's page shows Bob live", func() bool {
		s, ok := lastSlot(alice, aV)
		return ok && s.State == "live" && s.SourceID == bVideo
	}, alice.c)

	// The roster names both with their sources.
	h.eventually("roster with both", func() bool {
		r := lastRoster(bob.conn)
		names := map[string]int{}
		for _, p := range r.Participants {
			names[p.Name] = len(p.Sources)
		}
		return names["Alice"] == 2 && names["Bob"] == 2
	}, bob.c)

	// Alice's OFFER_REQUEST gets the node's OFFER_RESPONSE (to her only),
	// and her answer reaches the node: a second request gets a second
	// offer, which a node still waiting for the first answer would refuse.
	for i := 0; i < 2; i++ {
		from := alice.conn.Len()
		if err := alice.c.RequestOffer(h.ctx); err != nil {
			t.Fatal(err)
		}
		m, _ := h.wait(alice.conn, from, "node offer", isNodeOffer)
		var offer meeting.RoapOutMsg
		_ = m.Decode(&offer)
		if offer.Roap.MessageType != "OFFER_RESPONSE" {
			t.Fatalf("node answered an OFFER_REQUEST with %s, want OFFER_RESPONSE", offer.Roap.MessageType)
		}
		h.eventually("Alice's answer sent", func() bool { return answered(alice.conn, offer.Roap.Seq) }, nil)
	}
	if n := nodeOffers(bob.conn); n != 0 {
		t.Fatalf("Bob received %d offers meant for Alice", n)
	}

	// Alice mutes her camera: everyone hears of it and Bob's slot shows
	// an avatar.
	from := bob.conn.Len()
	if _, err := alice.node.SetMute(h.ctx, &pb.SetMuteRequest{Kind: pb.TrackKind_TRACK_KIND_VIDEO, Muted: true}); err != nil {
		t.Fatal(err)
	}
	m, _ := h.wait(bob.conn, from, "muteChanged", wsclient.OfType(meeting.TypeMuteChanged))
	var mc meeting.MuteChangedMsg
	_ = m.Decode(&mc)
	if mc.ParticipantID != ja.ParticipantID || mc.By != ja.ParticipantID || !mc.Muted || mc.Kind != "video" || mc.Content != "main" {
		t.Fatalf("muteChanged %+v", mc)
	}
	h.eventually("Bob's slot shows Alice's avatar", func() bool {
		s, ok := lastSlot(bob, bV)
		return ok && s.State == "avatar"
	}, bob.c)

	// Alice leaves: she gets `left`, the node forgets her connection, and
	// Bob's roster shrinks to himself.
	if _, err := alice.node.Leave(h.ctx, &pb.LeaveRequest{}); err != nil {
		t.Fatal(err)
	}
	h.eventually("Alice's connection gone", func() bool { return !h.connections("standup")[ja.ConnectionID] }, nil)
	h.eventually("Bob's roster without Alice", func() bool {
		r := lastRoster(bob.conn)
		return len(r.Participants) == 1 && r.Participants[0].Name == "Bob"
	}, bob.c)
	if errs := errorsOf(bob.conn); len(errs) != 0 {
		t.Fatalf("Bob got errors: %+v", errs)
	}
}

// Closing the service ends every session with a fatal error, and each
// browser's connection leaves the node.
func TestCloseEndsSessions(t *testing.T) {
	h := start(t, nil)
	a := h.join("closing", "Ann", client.Options{Audio: true, AudioSlots: 1})
	conn := a.node.Joined().ConnectionID
	if !h.connections("closing")[conn] {
		t.Fatal("not joined")
	}
	if err := h.svc.Close(); err != nil {
		t.Fatal(err)
	}
	m, _ := h.wait(a.conn, 0, "fatal error", wsclient.OfType(meeting.TypeError))
	var e meeting.ErrorMsg
	_ = m.Decode(&e)
	if !e.Fatal || e.Code != meeting.CodeUnavailable {
		t.Fatalf("error %+v", e)
	}
	if h.connections("closing")[conn] {
		t.Fatal("connection still on the node after Close returned")
	}
}

// When its last browser leaves, a meeting's room is closed on the node,
// unless someone who did not come through the service (like the node's
// own demo participants) is still in it. The floor goes to whoever asks
// and everyone hears of it.
func TestEmptyMeetingsClose(t *testing.T) {
	h := start(t, nil)
	solo := h.join("solo", "Solo", client.Options{Audio: true, AudioSlots: 1})
	from := solo.conn.Len()
	if _, err := solo.node.GrantFloor(h.ctx, &pb.GrantFloorRequest{}); err != nil {
		t.Fatal(err)
	}
	m, _ := h.wait(solo.conn, from, "floorChanged", wsclient.OfType(meeting.TypeFloorChanged))
	var fc meeting.FloorChangedMsg
	_ = m.Decode(&fc)
	if fc.ParticipantID != solo.node.Joined().ParticipantID || fc.Previous != "" {
		t.Fatalf("floorChanged %+v", fc)
	}
	if _, err := solo.node.Leave(h.ctx, &pb.LeaveRequest{}); err != nil {
		t.Fatal(err)
	}
	h.eventually("empty room closed", func() bool {
		_, err := h.api.GetRoom(h.ctx, &pb.GetRoomRequest{RoomId: "solo"})
		return status.Code(err) == codes.NotFound
	}, nil)

	// A participant joined straight through the node's API keeps its
	// room open after the last browser left.
	if _, err := h.api.CreateRoom(h.ctx, &pb.CreateRoomRequest{RoomId: "kept"}); err != nil {
		t.Fatal(err)
	}
	direct, err := client.Join(h.ctx, client.Options{Node: h.api, RoomID: "kept", ParticipantID: "direct", DeviceID: "d",
		Audio: true, LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(direct.Close)
	visitor := h.join("kept", "Visitor", client.Options{AudioSlots: 1})
	if _, err := visitor.node.Leave(h.ctx, &pb.LeaveRequest{}); err != nil {
		t.Fatal(err)
	}
	// The meeting is torn down once the visitor is gone; a new browser
	// then finds the room where it is.
	again := h.join("kept", "Again", client.Options{AudioSlots: 1})
	if r, err := h.api.GetRoom(h.ctx, &pb.GetRoomRequest{RoomId: "kept"}); err != nil || len(r.GetParticipants()) != 2 {
		t.Fatalf("kept room: %v %v", r, err)
	}
	_ = again
}

package e2e

import (
	"context"
	"fmt"
	"testing"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// checkStream asserts that every track c receives from pub carries pub's
// source ids, in order, without duplicates.
func checkStream(t *testing.T, c, pub *client.Client, name string) {
	t.Helper()
	audioSrc, videoSrc := pub.SourceIDs()
	for _, tr := range tracksFrom(c, pub) {
		want := audioSrc
		if tr.Kind == "video" {
			want = videoSrc
		}
		if tr.SourceID != want {
			t.Errorf("%s: %s track %s carries source %d, want %d", name, tr.Kind, tr.TrackID, tr.SourceID, want)
		}
		if tr.WrongSource != 0 || tr.Duplicates != 0 || tr.OutOfOrder != 0 {
			t.Errorf("%s: %s track %s: wrong source %d, duplicates %d, out of order %d",
				name, tr.Kind, tr.TrackID, tr.WrongSource, tr.Duplicates, tr.OutOfOrder)
		}
	}
}

// Acceptance 1: three participants each publish audio and video and each
// receives the other two's streams through the node.
func TestThreeParticipantsExchangeMedia(t *testing.T) {
	h := startNode(t)
	h.createRoom("r1")
	var cs []*client.Client
	for i := 0; i < 3; i++ {
		cs = append(cs, h.join("r1", fmt.Sprintf("p%d", i), "d", client.Options{Audio: true, Video: true}))
	}
	for i, c := range cs {
		for j, pub := range cs {
			if i == j {
				continue
			}
			h.eventually(fmt.Sprintf("p%d receiving from p%d", i, j), func() bool { return receivingFrom(c, pub, 50) }, c)
		}
	}
	for i, c := range cs {
		if n := len(tracksFrom(c, c)); n != 0 {
			t.Errorf("p%d receives %d of its own tracks", i, n)
		}
		if n := len(c.Tracks()); n != 4 {
			t.Errorf("p%d receives %d tracks, want 4", i, n)
		}
		for j, pub := range cs {
			if i != j {
				checkStream(t, c, pub, fmt.Sprintf("p%d from p%d", i, j))
			}
		}
	}
	info, err := h.api.GetNodeInfo(h.ctx, &pb.GetNodeInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetPublishedTracks() != 6 || info.GetForwardedTracks() != 12 || info.GetConnections() != 3 || info.GetRooms() != 1 {
		t.Errorf("node info: %+v", info)
	}
}

// Acceptance 2: a late joiner receives everyone through node-initiated
// offers; a participant who leaves disappears from the others by
// renegotiation and in the events.
func TestLateJoinerAndLeave(t *testing.T) {
	h := startNode(t)
	h.createRoom("r2")
	var cs []*client.Client
	for i := 0; i < 3; i++ {
		cs = append(cs, h.join("r2", fmt.Sprintf("p%d", i), "d", client.Options{Audio: true, Video: true}))
	}
	late := h.join("r2", "late", "d", client.Options{Audio: true, Video: true})
	for i, pub := range cs {
		h.eventually(fmt.Sprintf("late receiving from p%d", i), func() bool { return receivingFrom(late, pub, 30) }, late)
		h.eventually(fmt.Sprintf("p%d receiving from late", i), func() bool { return receivingFrom(cs[i], late, 30) }, cs[i])
	}
	offers := 0
	for _, e := range late.Events() {
		if r := e.GetRoap(); r != nil && r.GetConnectionId() == late.ConnectionID() && r.GetMessage().GetMessageType() == pb.RoapMessageType_ROAP_OFFER {
			offers++
		}
	}
	if offers == 0 {
		t.Error("late joiner got no node-initiated OFFER")
	}

	leaver := cs[0]
	leaverConn := leaver.ConnectionID()
	if err := leaver.Leave(h.ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range append(cs[1:], late) {
		h.eventually("tracks of the leaver ended", func() bool {
			tr := tracksFrom(c, leaver)
			return len(tr) == 2 && tr[0].Ended && tr[1].Ended
		}, c)
	}
	obs := cs[1]
	h.eventually("leave announced", func() bool {
		var unpub, devLeft, partLeft int
		for _, e := range obs.Events() {
			if u := e.GetTrackUnpublished(); u != nil && u.GetConnectionId() == leaverConn {
				unpub++
			}
			if d := e.GetDeviceLeft(); d != nil && d.GetConnectionId() == leaverConn {
				devLeft++
			}
			if p := e.GetParticipantLeft(); p != nil && p.GetParticipantId() == "p0" {
				partLeft++
			}
		}
		return unpub == 2 && devLeft == 1 && partLeft == 1
	}, obs)
	room, err := h.api.GetRoom(h.ctx, &pb.GetRoomRequest{RoomId: "r2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(room.GetParticipants()) != 3 {
		t.Errorf("room has %d participants after leave, want 3", len(room.GetParticipants()))
	}
	for _, p := range room.GetParticipants() {
		for _, d := range p.GetDevices() {
			if d.GetSubscribedTracks() != 4 {
				t.Errorf("%s subscribes to %d tracks after leave, want 4", p.GetParticipantId(), d.GetSubscribedTracks())
			}
		}
	}
}

// Acceptance 3: one participant on two devices is one identity with two
// devices in the events and in GetRoom.
func TestTwoDevicesOneParticipant(t *testing.T) {
	h := startNode(t)
	h.createRoom("r3")
	phone := h.join("r3", "alice", "phone", client.Options{Audio: true})
	laptop := h.join("r3", "alice", "laptop", client.Options{Audio: true, Video: true})
	bob := h.join("r3", "bob", "desk", client.Options{Audio: true, Video: true})
	h.eventually("bob receives both of alice's devices", func() bool {
		return receivingFrom(bob, laptop, 20) && len(tracksFrom(bob, phone)) == 1 && tracksFrom(bob, phone)[0].Packets > 20
	}, bob)
	h.eventually("both alice devices receive bob", func() bool {
		return receivingFrom(phone, bob, 20) && receivingFrom(laptop, bob, 20)
	}, laptop)
	if n := len(tracksFrom(phone, laptop)) + len(tracksFrom(laptop, phone)); n != 0 {
		t.Errorf("alice's devices receive each other's media (%d tracks)", n)
	}

	room, err := h.api.GetRoom(h.ctx, &pb.GetRoomRequest{RoomId: "r3"})
	if err != nil {
		t.Fatal(err)
	}
	var alice *pb.Participant
	for _, p := range room.GetParticipants() {
		if p.GetParticipantId() == "alice" {
			alice = p
		}
	}
	if alice == nil || len(alice.GetDevices()) != 2 {
		t.Fatalf("GetRoom: alice = %v, want two devices", alice)
	}
	for _, d := range alice.GetDevices() {
		if d.GetState() != pb.ConnectionState_CONNECTION_STATE_CONNECTED {
			t.Errorf("device %s state %v", d.GetDeviceId(), d.GetState())
		}
	}
	// The full history from seq 0 shows one participant joining with two devices.
	all := replay(t, h, "r3")
	joined := eventsOfType(all, (*pb.Event).GetParticipantJoined)
	devices := eventsOfType(all, (*pb.Event).GetDeviceJoined)
	aliceJoins, aliceDevices := 0, map[string]bool{}
	for _, j := range joined {
		if j.GetParticipantId() == "alice" {
			aliceJoins++
		}
	}
	for _, d := range devices {
		if d.GetParticipantId() == "alice" {
			aliceDevices[d.GetDeviceId()] = true
		}
	}
	if aliceJoins != 1 || len(aliceDevices) != 2 {
		t.Errorf("events: alice joined %d times with devices %v, want once with two", aliceJoins, aliceDevices)
	}
}

// replay reads the room's retained history from the start.
func replay(t *testing.T, h *harness, room string) []*pb.Event {
	t.Helper()
	info, err := h.api.GetRoom(h.ctx, &pb.GetRoomRequest{RoomId: room})
	if err != nil {
		t.Fatal(err)
	}
	last := info.GetRoom().GetLastEventSeq()
	ctx, cancel := context.WithTimeout(h.ctx, testTimeout)
	defer cancel()
	stream, err := h.api.Events(ctx, &pb.EventsRequest{RoomId: room})
	if err != nil {
		t.Fatal(err)
	}
	var out []*pb.Event
	for {
		ev, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
		if ev.GetSeq() >= last {
			return out
		}
	}
}

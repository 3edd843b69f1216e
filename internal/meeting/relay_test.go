package meeting

import (
	"encoding/json"
	"testing"

	"go.uber.org/zap"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// fakeSession is a session whose socket is only its outbound queue.
func fakeSession() *session {
	s := &session{out: make(chan frame, outboundQueue), in: make(chan inbound, inboundQueue)}
	s.logp.Store(zap.NewNop())
	return s
}

// drain returns the types of the queued messages (and "close" for a
// close instruction).
func drain(t *testing.T, s *session) []string {
	t.Helper()
	var out []string
	for {
		select {
		case f := <-s.out:
			if f.close {
				out = append(out, "close")
				continue
			}
			var env envelope
			if err := json.Unmarshal(f.data, &env); err != nil {
				t.Fatal(err)
			}
			out = append(out, env.Type)
		default:
			return out
		}
	}
}

func ev(seq uint64, p any) *pb.Event {
	e := &pb.Event{Seq: seq}
	switch v := p.(type) {
	case *pb.RoapOutbound:
		e.Payload = &pb.Event_Roap{Roap: v}
	case *pb.SlotStatusChanged:
		e.Payload = &pb.Event_SlotStatus{SlotStatus: v}
	case *pb.ActiveSpeakers:
		e.Payload = &pb.Event_ActiveSpeakers{ActiveSpeakers: v}
	case *pb.DeviceLeft:
		e.Payload = &pb.Event_DeviceLeft{DeviceLeft: v}
	case *pb.NodeDraining:
		e.Payload = &pb.Event_NodeDraining{NodeDraining: v}
	case *pb.RoomClosed:
		e.Payload = &pb.Event_RoomClosed{RoomClosed: v}
	case *pb.ParticipantJoined:
		e.Payload = &pb.Event_ParticipantJoined{ParticipantJoined: v}
	}
	return e
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Events reach the browsers they concern, in order: connection-addressed
// ones only their browser (or, before it attached, after its joined
// reply), room-wide ones everybody; a replayed event is applied once.
func TestRelayRoutesEvents(t *testing.T) {
	m := newMeeting(&Service{log: zap.NewNop()}, "m")
	n := &node{addr: "a"}
	m.node = n
	s1, s2, s3 := fakeSession(), fakeSession(), fakeSession()
	m.attach(s1, JoinedMsg{Type: TypeJoined, ConnectionID: "c1"})
	m.attach(s2, JoinedMsg{Type: TypeJoined, ConnectionID: "c2"})
	if got := drain(t, s1); !equal(got, []string{TypeJoined, TypeRoster}) {
		t.Fatalf("attach sent %v", got)
	}
	drain(t, s2)

	m.apply(n, ev(1, &pb.RoapOutbound{ConnectionId: "c1", Message: &pb.RoapMessage{MessageType: pb.RoapMessageType_ROAP_OFFER, Seq: 2, Sdp: "v=0"}}))
	m.apply(n, ev(2, &pb.SlotStatusChanged{ConnectionId: "c3", RequestSeq: 1}))
	m.apply(n, ev(3, &pb.ActiveSpeakers{SourceIds: []uint32{256}}))
	m.apply(n, ev(3, &pb.ActiveSpeakers{SourceIds: []uint32{256}})) // replay after a resume
	m.apply(n, ev(4, &pb.ParticipantJoined{ParticipantId: "p3", DisplayName: "Carol"}))
	if got := drain(t, s1); !equal(got, []string{TypeRoap, TypeActiveSpeakers, TypeRoster}) {
		t.Fatalf("s1 got %v", got)
	}
	if got := drain(t, s2); !equal(got, []string{TypeActiveSpeakers, TypeRoster}) {
		t.Fatalf("s2 got %v", got)
	}

	// c3's status came before its browser attached: it follows joined and
	// the roster.
	m.attach(s3, JoinedMsg{Type: TypeJoined, ConnectionID: "c3"})
	if got := drain(t, s3); !equal(got, []string{TypeJoined, TypeRoster, TypeSlots}) {
		t.Fatalf("s3 got %v", got)
	}

	// The node ends c2: its browser is told and its socket closes.
	m.apply(n, ev(5, &pb.DeviceLeft{ParticipantId: "p2", ConnectionId: "c2", Reason: "removed by host"}))
	if got := drain(t, s2); !equal(got, []string{TypeLeft, "close"}) {
		t.Fatalf("s2 got %v", got)
	}
	if m.detach("c2", s2) {
		t.Fatal("c2 still attached after the node ended it")
	}

	// Drain announced, then the room closes: the rest learn why.
	m.apply(n, ev(6, &pb.NodeDraining{NodeId: "a"}))
	if !n.isDraining() {
		t.Fatal("node_draining did not mark the node")
	}
	m.apply(n, ev(7, &pb.RoomClosed{Reason: "node shutting down"}))
	for _, s := range []*session{s1, s3} {
		if got := drain(t, s); !equal(got, []string{TypeLeft, "close"}) {
			t.Fatalf("after room_closed got %v", got)
		}
	}
	if !m.ended {
		t.Fatal("meeting not ended by room_closed")
	}
}

// The roster follows GetRoom and then the events: names, sources, mutes.
func TestRoster(t *testing.T) {
	r := newRoster()
	r.reset(&pb.GetRoomResponse{Participants: []*pb.Participant{{ParticipantId: "p1", DisplayName: "Ann",
		Devices: []*pb.Device{{ConnectionId: "c1", PublishedTracks: []*pb.Track{
			{TrackId: "t1", Kind: pb.TrackKind_TRACK_KIND_AUDIO, SourceId: 256},
			{TrackId: "t2", Kind: pb.TrackKind_TRACK_KIND_VIDEO, SourceId: 257}}}}}}})
	steps := []struct {
		ev      *pb.Event
		changed bool
	}{
		{&pb.Event{Payload: &pb.Event_ParticipantJoined{ParticipantJoined: &pb.ParticipantJoined{ParticipantId: "p2", DisplayName: "Ben"}}}, true},
		{&pb.Event{Payload: &pb.Event_TrackPublished{TrackPublished: &pb.TrackPublished{ParticipantId: "p2", ConnectionId: "c2",
			Track: &pb.Track{TrackId: "t3", Kind: pb.TrackKind_TRACK_KIND_VIDEO, SourceId: 513, Content: pb.MediaContent_MEDIA_CONTENT_SLIDES}}}}, true},
		{&pb.Event{Payload: &pb.Event_MuteChanged{MuteChanged: &pb.MuteChanged{ParticipantId: "p1", Kind: pb.TrackKind_TRACK_KIND_VIDEO, Muted: true}}}, true},
		{&pb.Event{Payload: &pb.Event_MuteChanged{MuteChanged: &pb.MuteChanged{ParticipantId: "p1", Kind: pb.TrackKind_TRACK_KIND_VIDEO, Muted: true}}}, false},
		{&pb.Event{Payload: &pb.Event_TrackUnpublished{TrackUnpublished: &pb.TrackUnpublished{ParticipantId: "p1", TrackId: "t1"}}}, true},
		{&pb.Event{Payload: &pb.Event_ConnectionStateChanged{ConnectionStateChanged: &pb.ConnectionStateChanged{ConnectionId: "c1"}}}, false},
	}
	for i, s := range steps {
		if got := r.apply(s.ev); got != s.changed {
			t.Fatalf("step %d: changed %v, want %v", i, got, s.changed)
		}
	}
	b, _ := json.Marshal(r.message())
	want := `{"type":"roster","participants":[` +
		`{"participantId":"p1","name":"Ann","sources":[{"sourceId":257,"kind":"video","content":"main","muted":true}]},` +
		`{"participantId":"p2","name":"Ben","sources":[{"sourceId":513,"kind":"video","content":"slides","muted":false}]}]}`
	if string(b) != want {
		t.Fatalf("roster\n%s\nwant\n%s", b, want)
	}
	r.apply(&pb.Event{Payload: &pb.Event_DeviceLeft{DeviceLeft: &pb.DeviceLeft{ParticipantId: "p2", ConnectionId: "c2"}}})
	r.apply(&pb.Event{Payload: &pb.Event_ParticipantLeft{ParticipantLeft: &pb.ParticipantLeft{ParticipantId: "p1"}}})
	if msg := r.message(); len(msg.Participants) != 1 || len(msg.Participants[0].Sources) != 0 {
		t.Fatalf("after leaving: %+v", msg)
	}
}

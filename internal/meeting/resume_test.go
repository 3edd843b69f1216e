package meeting

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// scriptedNode answers Events from a script: each call gets the next
// batch of events and then the batch's error. Only Events and GetRoom are
// called by the relay.
type scriptedNode struct {
	pb.MediaNodeClient
	mu      sync.Mutex
	batches []batch
	after   []uint64 // after_seq of each Events call
	room    *pb.GetRoomResponse
}

type batch struct {
	events []*pb.Event
	err    error
}

func (s *scriptedNode) Events(_ context.Context, req *pb.EventsRequest, _ ...grpc.CallOption) (grpc.ServerStreamingClient[pb.Event], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.after = append(s.after, req.GetAfterSeq())
	if len(s.batches) == 0 {
		return nil, status.Error(codes.NotFound, "room gone")
	}
	b := s.batches[0]
	s.batches = s.batches[1:]
	return &scriptedStream{b: b}, nil
}

func (s *scriptedNode) GetRoom(context.Context, *pb.GetRoomRequest, ...grpc.CallOption) (*pb.GetRoomResponse, error) {
	return s.room, nil
}

type scriptedStream struct {
	grpc.ClientStream
	b batch
}

func (s *scriptedStream) Recv() (*pb.Event, error) {
	if len(s.b.events) > 0 {
		e := s.b.events[0]
		s.b.events = s.b.events[1:]
		return e, nil
	}
	if s.b.err == nil {
		return nil, io.EOF
	}
	return nil, s.b.err
}

// The relay resumes after the last event it applied when the stream
// breaks, resyncs from GetRoom when the node's history is gone, and ends
// the meeting when the room is.
func TestRelayResumes(t *testing.T) {
	api := &scriptedNode{
		room: &pb.GetRoomResponse{Room: &pb.RoomSummary{LastEventSeq: 40}, Participants: []*pb.Participant{{ParticipantId: "p1", DisplayName: "Ann"}}},
		batches: []batch{
			{events: []*pb.Event{ev(11, &pb.ActiveSpeakers{}), ev(12, &pb.ActiveSpeakers{})}, err: status.Error(codes.Unavailable, "connection reset")},
			{events: []*pb.Event{ev(12, &pb.ActiveSpeakers{}), ev(13, &pb.ActiveSpeakers{})}, err: status.Error(codes.OutOfRange, "history gone")},
			{events: []*pb.Event{ev(41, &pb.ActiveSpeakers{})}, err: status.Error(codes.Aborted, "too slow")},
		},
	}
	svc := &Service{log: zap.NewNop(), o: Options{CallTimeout: time.Second}}
	m := newMeeting(svc, "m")
	n := &node{addr: "a", api: api}
	m.node, m.lastSeq = n, 10
	s := fakeSession()
	m.attach(s, JoinedMsg{Type: TypeJoined, ConnectionID: "c1"})
	drain(t, s)

	done := make(chan struct{})
	go func() {
		defer close(done)
		m.runRelay(context.Background(), n)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("relay did not end when the room was gone")
	}
	want := []uint64{10, 12, 40, 41}
	if len(api.after) != len(want) {
		t.Fatalf("Events calls after_seq %v, want %v", api.after, want)
	}
	for i := range want {
		if api.after[i] != want[i] {
			t.Fatalf("Events calls after_seq %v, want %v", api.after, want)
		}
	}
	// 11, 12, 13 once each (the replayed 12 dropped), the roster after the
	// resync, 41, then the end.
	got := drain(t, s)
	wantMsgs := []string{TypeActiveSpeakers, TypeActiveSpeakers, TypeActiveSpeakers, TypeRoster, TypeActiveSpeakers, TypeLeft, "close"}
	if !equal(got, wantMsgs) {
		t.Fatalf("browser got %v, want %v", got, wantMsgs)
	}
}

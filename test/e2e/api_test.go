package e2e

import (
	"context"
	"io"
	"sort"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// Acceptance 8: reflection lists the service (what `grpcurl -plaintext
// localhost:7880 list` asks), and the standard health service answers.
func TestReflectionAndHealth(t *testing.T) {
	h := startNode(t)
	stream, err := rpb.NewServerReflectionClient(h.conn).ServerReflectionInfo(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.CloseSend()
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	sort.Strings(names)
	want := map[string]bool{"switchyard.v1.MediaNode": false, "grpc.health.v1.Health": false}
	for _, n := range names {
		if _, ok := want[n]; ok {
			want[n] = true
		}
	}
	for n, ok := range want {
		if !ok {
			t.Errorf("reflection does not list %s (got %v)", n, names)
		}
	}
	hr, err := healthpb.NewHealthClient(h.conn).Check(h.ctx, &healthpb.HealthCheckRequest{Service: "switchyard.v1.MediaNode"})
	if err != nil || hr.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health: %v %v", hr, err)
	}
}

// A meeting service that loses its Events stream resumes from the last
// sequence number it saw and misses nothing; CloseRoom ends the stream
// after a RoomClosed event.
func TestEventsResumeAndRoomClose(t *testing.T) {
	h := startNode(t)
	h.createRoom("ev")
	ctx, cancel := context.WithCancel(h.ctx)
	first, err := h.api.Events(ctx, &pb.EventsRequest{RoomId: "ev"})
	if err != nil {
		t.Fatal(err)
	}
	a := h.join("ev", "a", "d", client.Options{Audio: true})
	var last uint64
	for last == 0 {
		ev, err := first.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if ev.GetDeviceJoined() != nil {
			last = ev.GetSeq()
		}
	}
	cancel() // the meeting service's stream drops here

	b := h.join("ev", "b", "d", client.Options{Audio: true})
	_ = a.Leave(h.ctx)
	_ = b

	resumed, err := h.api.Events(h.ctx, &pb.EventsRequest{RoomId: "ev", AfterSeq: last})
	if err != nil {
		t.Fatal(err)
	}
	// The call returns before the node has subscribed; its headers say it has.
	if _, err := resumed.Header(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.api.CloseRoom(h.ctx, &pb.CloseRoomRequest{RoomId: "ev", Reason: "meeting ended"}); err != nil {
		t.Fatal(err)
	}
	var (
		seqs          []uint64
		sawBJoin      bool
		sawALeft      bool
		closedWithWhy string
	)
	for {
		ev, err := resumed.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, ev.GetSeq())
		if d := ev.GetDeviceJoined(); d != nil && d.GetParticipantId() == "b" {
			sawBJoin = true
		}
		if p := ev.GetParticipantLeft(); p != nil && p.GetParticipantId() == "a" {
			sawALeft = true
		}
		if c := ev.GetRoomClosed(); c != nil {
			closedWithWhy = c.GetReason()
		}
	}
	for i, s := range seqs {
		if s != last+uint64(i)+1 {
			t.Fatalf("resumed sequence not contiguous from %d: %v", last, seqs)
		}
	}
	if !sawBJoin || !sawALeft || closedWithWhy != "meeting ended" {
		t.Errorf("resumed stream: b joined %v, a left %v, closed %q", sawBJoin, sawALeft, closedWithWhy)
	}
	if _, err := h.api.GetRoom(h.ctx, &pb.GetRoomRequest{RoomId: "ev"}); err == nil {
		t.Error("room still exists after CloseRoom")
	}
}

package meeting

import (
	"errors"
	"testing"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

func known(addr string, info *pb.NodeInfo) *node {
	return &node{addr: addr, info: info, reachable: true}
}

// New meetings go to reachable nodes that take them, least loaded first;
// an overloaded node comes after every other; configuration order breaks
// ties.
func TestRanked(t *testing.T) {
	gone := &node{addr: "gone", reachable: false, lastErr: errors.New("refused")}
	drainingByEvent := known("event", &pb.NodeInfo{NodeId: "event"})
	drainingByEvent.markDraining()
	p := &pool{nodes: []*node{
		known("busy", &pb.NodeInfo{NodeId: "busy", Connections: 1, CpuCores: 1.8, CpuCount: 2}),
		known("b", &pb.NodeInfo{NodeId: "b", Connections: 3, Rooms: 1, CpuCores: 0.2, CpuCount: 2}),
		gone,
		known("drain", &pb.NodeInfo{NodeId: "drain", Draining: true}),
		drainingByEvent,
		known("a", &pb.NodeInfo{NodeId: "a", Connections: 3, Rooms: 1, CpuCores: 0.1, CpuCount: 2}),
		known("c", &pb.NodeInfo{NodeId: "c", Connections: 2, Rooms: 2, CpuCores: 0.1, CpuCount: 2}),
		known("empty", &pb.NodeInfo{NodeId: "empty"}),
	}}
	var got []string
	for _, c := range p.ranked() {
		got = append(got, c.n.addr)
	}
	want := []string{"empty", "a", "c", "b", "busy"}
	if !equal(got, want) {
		t.Fatalf("ranked %v, want %v", got, want)
	}
}

// Package cluster runs the docker-compose topology without Docker: two
// media node processes (cmd/sfu built once for the package) and the
// meeting service in-process, all on loopback, and checks placement and
// drain the way the compose cluster behaves.
package cluster

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/leakcheck"
	"github.com/switchyard-sfu/switchyard/internal/meeting"
	"github.com/switchyard-sfu/switchyard/internal/meeting/wsclient"
	"github.com/switchyard-sfu/switchyard/internal/nodeproc"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

const testTimeout = 60 * time.Second

// sfuBin is cmd/sfu built by TestMain.
var sfuBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "switchyard-cluster-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sfuBin, err = nodeproc.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// startNode runs a node with the same settings the compose file gives
// through SWITCHYARD_* variables (nodeproc.Start): its own id, plaintext
// gRPC, its own media port (an ephemeral one here), loopback candidates.
func startNode(t *testing.T, id string) *nodeproc.Proc {
	return nodeproc.Start(t, sfuBin, id, nodeproc.Options{DrainTimeout: 2 * time.Second})
}

// cluster is the two nodes and the meeting service.
type cluster struct {
	t     *testing.T
	ctx   context.Context
	nodes map[string]*nodeproc.Proc
	ws    string
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	a, b := startNode(t, "node-a"), startNode(t, "node-b")
	baseline := runtime.NumGoroutine()
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	svc, err := meeting.New(meeting.Options{
		// A third address where no node listens: placement skips it.
		Nodes:        []string{a.Addr, b.Addr, nodeproc.FreeAddr(t)},
		DialOptions:  []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())},
		PollInterval: 200 * time.Millisecond,
		Logger:       log.Named("meetingd"),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	ctx, cancel := context.WithTimeout(context.Background(), 4*testTimeout)
	t.Cleanup(func() {
		_ = svc.Close()
		srv.Close()
		cancel()
		leakcheck.Check(t, baseline)
	})
	return &cluster{t: t, ctx: ctx, nodes: map[string]*nodeproc.Proc{"node-a": a, "node-b": b},
		ws: "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"}
}

type browser struct {
	conn *wsclient.Conn
	node *wsclient.Node
	c    *client.Client
}

// join puts an audio-only browser into a meeting through the service and
// returns it with the node it landed on.
func (c *cluster) join(meetingName, name string) (*browser, string) {
	c.t.Helper()
	conn, err := wsclient.Dial(c.ctx, c.ws)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(conn.Close)
	nd := wsclient.NewNode(conn)
	ctx, cancel := context.WithTimeout(c.ctx, testTimeout)
	defer cancel()
	cl, err := client.Join(ctx, client.Options{Node: nd, RoomID: meetingName, ParticipantID: name, DeviceID: "browser",
		DisplayName: name, Audio: true, AudioSlots: 1, LoopbackOnly: true,
		Logger: zaptest.NewLogger(c.t, zaptest.Level(zap.WarnLevel))})
	if err != nil {
		c.t.Fatalf("%s joins %s: %v", name, meetingName, err)
	}
	c.t.Cleanup(cl.Close)
	if err := cl.WaitConnected(ctx); err != nil {
		c.t.Fatal(err)
	}
	return &browser{conn: conn, node: nd, c: cl}, nd.Joined().Node
}

// rooms lists the rooms on a node.
func (c *cluster) rooms(id string) map[string]bool {
	c.t.Helper()
	res, err := c.nodes[id].API.ListRooms(c.ctx, &pb.ListRoomsRequest{})
	if err != nil {
		c.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range res.GetRooms() {
		out[r.GetRoomId()] = true
	}
	return out
}

// hears waits until b receives audio from source in its audio slot.
func (c *cluster) hears(b *browser, source uint32) {
	c.t.Helper()
	mid := b.c.SlotMids(webrtc.RTPCodecTypeAudio)[0]
	if _, err := b.c.RequestMedia(c.ctx, &pb.MediaRequest{Seq: 1, Requests: []*pb.MediaRequestEntry{
		client.ActiveSpeaker(255, nil, mid)}}); err != nil {
		c.t.Fatal(err)
	}
	deadline := time.NewTimer(testTimeout)
	defer deadline.Stop()
	for {
		st := b.c.Tracks()["slot-"+mid]
		if st.Packets > 0 && st.LastSourceID == source {
			return
		}
		select {
		case <-b.c.Changed():
		case <-time.After(50 * time.Millisecond):
		case <-deadline.C:
			c.t.Fatalf("no audio from source %d", source)
		}
	}
}

// Meetings spread over both nodes by load; after node A drains, every new
// meeting goes to node B while A's meeting carries on there, and a browser
// joining it still lands on A and hears the others.
func TestPlacementAndDrain(t *testing.T) {
	c := startCluster(t)
	placed := map[string]string{}
	count := map[string]int{}
	first := map[string]*browser{}
	for i := 1; i <= 4; i++ {
		name := fmt.Sprintf("m%d", i)
		b, node := c.join(name, "first-in-"+name)
		placed[name], first[name] = node, b
		count[node]++
	}
	if count["node-a"] != 2 || count["node-b"] != 2 {
		t.Fatalf("four meetings should spread two and two, got %v", placed)
	}
	for name, node := range placed {
		if !c.rooms(node)[name] {
			t.Fatalf("meeting %s said it is on %s, which has no such room", name, node)
		}
	}

	res, err := c.nodes["node-a"].API.Drain(c.ctx, &pb.DrainRequest{})
	if err != nil || !res.GetDraining() {
		t.Fatalf("drain node-a: %v %v", res, err)
	}
	for i := 5; i <= 7; i++ {
		name := fmt.Sprintf("m%d", i)
		if _, node := c.join(name, "first-in-"+name); node != "node-b" {
			t.Fatalf("meeting %s placed on %s while node-a drains", name, node)
		}
	}

	// A's meeting carries on: a newcomer lands where it is, and the two
	// hear each other through node-a.
	var onA string
	for name, node := range placed {
		if node == "node-a" {
			onA = name
			break
		}
	}
	late, node := c.join(onA, "late-to-"+onA)
	if node != "node-a" {
		t.Fatalf("a browser joining %s (on draining node-a) landed on %s", onA, node)
	}
	earlyAudio, _ := first[onA].c.SourceIDs()
	lateAudio, _ := late.c.SourceIDs()
	c.hears(late, earlyAudio)
	c.hears(first[onA], lateAudio)

	// node-a shuts down (SIGTERM; its 2 s drain timeout passes with the
	// meeting still there): the meeting's browsers are told, and the
	// meeting starts again on node-b when they rejoin.
	c.nodes["node-a"].Stop(t)
	for _, b := range []*browser{first[onA], late} {
		ctx, cancel := context.WithTimeout(c.ctx, testTimeout)
		m, _, err := b.conn.Wait(ctx, 0, wsclient.OfType(meeting.TypeLeft))
		cancel()
		if err != nil {
			t.Fatalf("no left after node-a stopped: %v", err)
		}
		var left meeting.LeftMsg
		_ = m.Decode(&left)
		if left.Reason != meeting.ReasonNodeDraining {
			t.Fatalf("left %+v, want reason %q", left, meeting.ReasonNodeDraining)
		}
	}
	if _, node := c.join(onA, "rejoin-"+onA); node != "node-b" {
		t.Fatalf("meeting %s restarted on %s, want node-b", onA, node)
	}
}

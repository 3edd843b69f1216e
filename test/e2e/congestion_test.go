package e2e

import (
	"bytes"
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v4/vnet"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/leakcheck"
	"github.com/switchyard-sfu/switchyard/internal/server"
	"github.com/switchyard-sfu/switchyard/pkg/client"
	"github.com/switchyard-sfu/switchyard/pkg/room"
)

// ccSimulcast is the 3-layer publisher.
var ccSimulcast = []client.SimulcastLayer{
	{RID: "q", Bitrate: 150_000, Width: 320, Height: 180},
	{RID: "h", Bitrate: 500_000, Width: 640, Height: 360},
	{RID: "f", Bitrate: 1_500_000, Width: 1280, Height: 720},
}

// bottleneck is an emulated network: the node, a publisher and a receiver
// on one vnet router; everything towards the receiver crosses a 25 ms delay
// and a token bucket with a 300 ms queue.
type bottleneck struct {
	wan           *vnet.Router
	node, pub, rx *vnet.Net
	tbf           *vnet.TBFQueue
	queue         *vnet.Queue
	delay         *vnet.DelayFilter
}

const bottleneckDelay = 25 * time.Millisecond

func newBottleneck(t *testing.T, rate int) *bottleneck {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelError
	b := &bottleneck{}
	var err error
	b.wan, err = vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.9.0.0/24", LoggerFactory: lf})
	must(err)
	newNet := func(ip string) *vnet.Net {
		n, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
		must(err)
		return n
	}
	b.node, b.pub, b.rx = newNet("10.9.0.1"), newNet("10.9.0.2"), newNet("10.9.0.3")
	must(b.wan.AddNet(b.node))
	must(b.wan.AddNet(b.pub))
	b.tbf = vnet.NewTBFQueue(rate, 1500, queueBytes(rate))
	b.queue, err = vnet.NewQueue(b.rx, b.tbf)
	must(err)
	b.delay, err = vnet.NewDelayFilter(b.queue, vnet.WithDelay(bottleneckDelay))
	must(err)
	must(b.wan.AddNet(b.delay))
	must(b.wan.Start())
	return b
}

// queueBytes is 300 ms at rate.
func queueBytes(rate int) int64 { return int64(rate) / 8 * 3 / 10 }

func (b *bottleneck) setRate(rate int) {
	b.tbf.SetSize(queueBytes(rate))
	b.tbf.SetRate(rate)
}

// close stops the network. vnet's Router.Stop (pion/transport v4.1.0)
// does not wait for its routing goroutine, which may be handing a chunk to
// the delay filter: closing the filter under it blocks that goroutine for
// good (a leak the test's check reported once in about 15 runs). So the
// filter closes once the routing goroutine is gone.
func (b *bottleneck) close() {
	_ = b.wan.Stop()
	waitGoroutineGone("vnet.(*Router).Start.func1", 10*time.Second)
	_ = b.delay.Close()
	_ = b.queue.Close()
}

// waitGoroutineGone waits (bounded by limit) until no goroutine's stack
// contains fn.
func waitGoroutineGone(fn string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	buf := make([]byte, 1<<20)
	for time.Now().Before(deadline) {
		n := runtime.Stack(buf, true)
		if !bytes.Contains(buf[:n], []byte(fn)) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ccNode is a node whose media socket sits on a bottleneck's emulated
// network, with its gRPC API on loopback and one room.
type ccNode struct {
	*harness
	bn      *bottleneck
	log     *zap.Logger
	room    string
	clients []*client.Client
}

// startCCNode starts a node on a new bottleneck of rate bit/s (default
// congestion options: the estimate starts low) and creates room roomID. Cleanup
// closes the clients, the node and the network and checks for leaks.
func startCCNode(t *testing.T, rate int, roomID string) *ccNode {
	t.Helper()
	baseline := runtime.NumGoroutine()
	bn := newBottleneck(t, rate)
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	media, err := room.NewMediaOnNet(room.MediaOptions{ListenIPs: []string{"10.9.0.1"}}, bn.node)
	if err != nil {
		t.Fatal(err)
	}
	rooms := room.NewManager(room.ManagerOptions{Media: media, Logger: log})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer(server.ServerOptions()...)
	server.New(rooms, server.Options{NodeID: "cc", Logger: log}).Register(g)
	served := make(chan struct{})
	go func() { _ = g.Serve(lis); close(served) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*testTimeout)
	n := &ccNode{harness: &harness{t: t, api: pb.NewMediaNodeClient(conn), ctx: ctx}, bn: bn, log: log, room: roomID}
	t.Cleanup(func() {
		for _, c := range n.clients {
			c.Close()
		}
		sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer scancel()
		if err := rooms.Close(sctx); err != nil {
			t.Errorf("close rooms: %v", err)
		}
		g.Stop()
		<-served
		_ = conn.Close()
		_ = media.Close()
		bn.close()
		cancel()
		leakcheck.Check(t, baseline)
	})
	n.createRoom(roomID)
	return n
}

// join connects participant (device "d") from network vn and waits until
// its PeerConnection is connected.
func (n *ccNode) join(participant string, o client.Options, vn *vnet.Net) *client.Client {
	n.t.Helper()
	o.Node, o.RoomID, o.ParticipantID, o.DeviceID, o.Net = n.api, n.room, participant, "d", vn
	o.Logger = n.log
	jctx, jcancel := context.WithTimeout(n.ctx, testTimeout)
	defer jcancel()
	c, err := client.Join(jctx, o)
	if err != nil {
		n.t.Fatalf("join %s: %v", participant, err)
	}
	n.clients = append(n.clients, c)
	if err := c.WaitConnected(jctx); err != nil {
		n.t.Fatal(err)
	}
	return c
}

// congestion is the node's congestion state of c's connection (GetRoom),
// nil when not available.
func (n *ccNode) congestion(c *client.Client) *pb.CongestionStats {
	r, err := n.api.GetRoom(n.ctx, &pb.GetRoomRequest{RoomId: n.room})
	if err != nil {
		return nil
	}
	for _, p := range r.GetParticipants() {
		for _, d := range p.GetDevices() {
			if d.GetConnectionId() == c.ConnectionID() {
				return d.GetCongestion()
			}
		}
	}
	return nil
}

// trace logs c's congestion state and the layer it receives (lastLayer)
// every second until the returned function is called.
func (n *ccNode) trace(c *client.Client, lastLayer func() int) (stop func()) {
	done := make(chan struct{})
	traced := make(chan struct{})
	go func() {
		defer close(traced)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				st := n.congestion(c)
				n.t.Logf("estimate %d sent %d allocated %d wanted %d probes %d/%d/%d last %d rtt %d loss %.2f paused %d layer %d",
					st.GetEstimateBps(), st.GetSentBps(), st.GetAllocatedBps(), st.GetWantedBps(), st.GetProbes(), st.GetProbesConfirmed(),
					st.GetProbesFailed(), st.GetLastProbeBps(), st.GetRttMs(), st.GetLoss(), st.GetPausedSlots(), lastLayer())
			}
		}
	}()
	return func() { close(done); <-traced }
}

// waitLayer waits until layer() (the receiver's forwarded layer, -1 while
// unknown or switching) is want, and logs how long that took with the
// receiver's congestion stats.
func (n *ccNode) waitLayer(rx *client.Client, layer func() int, what string, want int) time.Duration {
	n.t.Helper()
	start := time.Now()
	n.eventually(what, func() bool { return layer() == want }, rx)
	d := time.Since(start)
	n.t.Logf("%s after %v: %+v", what, d.Round(10*time.Millisecond), n.congestion(rx))
	return d
}

// cutAndRestore cuts the link of a receiver on the middle layer to 300
// kbit/s: it must move down to the lowest layer (the bound is loose for a
// loaded box; the time is logged) and its estimate follow. Restored to 1
// Mbit/s, probes for the blocked upgrade bring it back to the middle layer.
func (n *ccNode) cutAndRestore(rx *client.Client, layer func() int) {
	n.t.Helper()
	n.waitLayer(rx, layer, "on the middle layer before the cut", 1)
	n.bn.setRate(300_000)
	if d := n.waitLayer(rx, layer, "down to the lowest layer at 300 kbit/s", 0); d > 10*time.Second {
		n.t.Errorf("took %v to move down", d)
	}
	if c := n.congestion(rx); c == nil || c.GetEstimateBps() > 450_000 {
		n.t.Errorf("estimate at 300 kbit/s: %+v", c)
	}
	n.bn.setRate(1_000_000)
	n.waitLayer(rx, layer, "back to the middle layer at 1 Mbit/s", 1)
}

// checkSettled samples layer for 5 s after a receiver settled on the
// middle layer at 1 Mbit/s: the top layer must not be forwarded, the
// loss (RTP sequence gaps in what track received meanwhile) must stay
// under 2 %, and the congestion stats must show feedback and a sane
// estimate.
//
// One excursion to the top layer is forgiven: the emulated receiver
// stamps arrivals when its goroutine reads them, and on a loaded box a
// stalled read can make a probe cluster look delivered at its send rate
// (about 1 run in 30 measured 1.95 Mbit/s on the 1 Mbit/s link). The
// delay detector then cuts the estimate once the top layer overloads the
// link; the window starts again once the receiver is back on the middle
// layer, and a second excursion fails the test.
func (n *ccNode) checkSettled(rx *client.Client, layer func() int, track func() client.TrackStats) {
	n.t.Helper()
	for attempt := 0; ; attempt++ {
		before := track()
		dips, top := 0, false
		for range 20 { // 5 s on the middle layer
			time.Sleep(250 * time.Millisecond)
			switch layer() {
			case 2:
				top = true
			case 0:
				dips++ // a spurious overuse on a loaded box; logged, not failed
			}
			if top {
				break
			}
		}
		if top {
			if attempt > 0 {
				n.t.Fatalf("top layer forwarded over a 1 Mbit/s link again: %+v", n.congestion(rx))
			}
			n.t.Logf("top layer forwarded over a 1 Mbit/s link (a misread probe?): %+v", n.congestion(rx))
			n.eventually("back on the middle layer after the excursion", func() bool { return layer() == 1 }, rx)
			continue
		}
		after := track()
		packets, gaps := after.Packets-before.Packets, after.RTPGaps-before.RTPGaps
		n.t.Logf("5 s at 1 Mbit/s: %d packets, %d gaps, %d/20 samples below the middle layer", packets, gaps, dips)
		if packets == 0 || float64(gaps) > 0.02*float64(packets) {
			n.t.Errorf("sustained loss at 1 Mbit/s: %d gaps in %d packets", gaps, packets)
		}
		break
	}
	if c := n.congestion(rx); c == nil || c.GetFeedbackMessages() == 0 || c.GetAckedBps() > 1_200_000 || c.GetEstimateBps() < 300_000 {
		n.t.Errorf("congestion stats at 1 Mbit/s: %+v", c)
	}
}

// TestCongestionBottleneck (issue 4, test 3): a receiver behind 1 Mbit/s
// settles on the middle layer without sustained loss; a cut to 300 kbit/s
// moves it down; restoring the link brings it back up.
func TestCongestionBottleneck(t *testing.T) {
	n := startCCNode(t, 1_000_000, "cc")
	pub := n.join("pub", client.Options{Video: true, Simulcast: ccSimulcast, VideoFPS: 30}, n.bn.pub)
	rx := n.join("rx", client.Options{VideoSlots: 1}, n.bn.rx)
	_, src := pub.SourceIDs()
	n.waitSources("cc", src)
	mid := rx.SlotMids(webrtc.RTPCodecTypeVideo)[0]
	n.requestMedia(rx, &pb.MediaRequest{Seq: 1, Requests: []*pb.MediaRequestEntry{pinned(src, large, mid)}})

	defer n.trace(rx, func() int { return int(slotTrack(rx, mid).LastLayer) })()
	layer := func() int {
		st := lastSlotStatus(rx, mid)
		tr := slotTrack(rx, mid)
		// The node's choice, once packets of that layer arrive (a
		// retransmission of the previous layer may still arrive later).
		if st.GetState() != pb.SlotState_SLOT_STATE_LIVE || tr.Packets == 0 || int(tr.LastLayer) != int(st.GetLayer()) {
			return -1
		}
		return int(st.GetLayer())
	}

	// 1 Mbit/s: the middle layer (500 kbit/s) fits, the top one does not.
	n.waitLayer(rx, layer, "settled on the middle layer at 1 Mbit/s", 1)
	n.checkSettled(rx, layer, func() client.TrackStats { return slotTrack(rx, mid) })
	n.cutAndRestore(rx, layer)
}

package meeting_test

import (
	"context"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/leakcheck"
	"github.com/switchyard-sfu/switchyard/internal/meeting"
	"github.com/switchyard-sfu/switchyard/internal/meeting/wsclient"
	"github.com/switchyard-sfu/switchyard/internal/node"
	"github.com/switchyard-sfu/switchyard/internal/testnode"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// testTimeout bounds every wait: generous for a loaded 2-core box under
// the race detector.
const testTimeout = 60 * time.Second

// pages stands in for the demo page tree.
var pages = fstest.MapFS{
	"index.html": {Data: []byte("<title>lobby</title>")},
	"room.html":  {Data: []byte("<title>room</title>")},
	"app.js":     {Data: []byte("export {}")},
}

// harness is one node (in-process) and the meeting service in front of it.
type harness struct {
	t    testing.TB
	ctx  context.Context
	node *node.Node
	api  pb.MediaNodeClient
	svc  *meeting.Service
	http *httptest.Server
}

// start runs a node and the service; cleanup closes both and checks that
// no goroutine outlives them.
func start(t testing.TB, configure func(*meeting.Options)) *harness {
	t.Helper()
	baseline := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 3*testTimeout)
	t.Cleanup(func() {
		cancel()
		leakcheck.Check(t, baseline)
	})
	n := testnode.Start(t, testnode.Config("node-t"))
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	o := meeting.Options{
		Nodes:       []string{n.GRPCAddr()},
		DialOptions: []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())},
		Static:      pages,
		Logger:      log.Named("meetingd"),
	}
	if configure != nil {
		configure(&o)
	}
	svc, err := meeting.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	h := &harness{t: t, ctx: ctx, node: n.Node, api: n.API, svc: svc, http: srv}
	t.Cleanup(func() {
		// Before the node (cleanups run last-registered first).
		if err := svc.Close(); err != nil {
			t.Errorf("close service: %v", err)
		}
		srv.Close()
	})
	return h
}

func (h *harness) wsURL() string { return "ws" + strings.TrimPrefix(h.http.URL, "http") + "/ws" }

// dial opens a raw browser socket.
func (h *harness) dial() *wsclient.Conn {
	h.t.Helper()
	c, err := wsclient.Dial(h.ctx, h.wsURL())
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(c.Close)
	return c
}

// browser is a pion participant that joined through the service's
// WebSocket, as the demo page does.
type browser struct {
	conn *wsclient.Conn
	node *wsclient.Node
	c    *client.Client
}

// join connects a browser called name to meeting; o says what it sends and
// how many receive slots it has.
func (h *harness) join(meetingName, name string, o client.Options) *browser {
	h.t.Helper()
	conn := h.dial()
	nd := wsclient.NewNode(conn)
	o.Node = nd
	o.RoomID, o.DisplayName = meetingName, name
	o.ParticipantID, o.DeviceID = name, "browser" // local labels; the service picks the ids
	o.LoopbackOnly = true
	o.Logger = zaptest.NewLogger(h.t, zaptest.Level(zap.WarnLevel))
	ctx, cancel := context.WithTimeout(h.ctx, testTimeout)
	defer cancel()
	c, err := client.Join(ctx, o)
	if err != nil {
		h.t.Fatalf("join %s to %s: %v", name, meetingName, err)
	}
	h.t.Cleanup(c.Close)
	if err := c.WaitConnected(ctx); err != nil {
		h.t.Fatal(err)
	}
	return &browser{conn: conn, node: nd, c: c}
}

// wait returns the first message of conn at or after from that match
// accepts, failing the test after testTimeout.
func (h *harness) wait(conn *wsclient.Conn, from int, what string, match func(wsclient.Message) bool) (wsclient.Message, int) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, testTimeout)
	defer cancel()
	m, i, err := conn.Wait(ctx, from, match)
	if err != nil {
		msgs := conn.Messages()
		var last []string
		for _, m := range msgs[max(from, len(msgs)-8):] {
			last = append(last, string(m.Raw[:min(len(m.Raw), 300)]))
		}
		h.t.Fatalf("waiting for %s: %v; last messages:\n%s", what, err, strings.Join(last, "\n"))
	}
	return m, i
}

// eventually waits until cond holds, re-checking at every change of c and
// at least every 50 ms; it fails the test after testTimeout.
func (h *harness) eventually(what string, cond func() bool, c *client.Client) {
	h.t.Helper()
	deadline := time.NewTimer(testTimeout)
	defer deadline.Stop()
	for !cond() {
		var changed <-chan struct{}
		if c != nil {
			changed = c.Changed()
		}
		tick := time.NewTimer(50 * time.Millisecond)
		select {
		case <-changed:
		case <-tick.C:
		case <-deadline.C:
			tick.Stop()
			h.t.Fatalf("timed out waiting for %s", what)
		}
		tick.Stop()
	}
}

// connections lists the node's connection ids in a room (none when the
// room is gone).
func (h *harness) connections(room string) map[string]bool {
	out := map[string]bool{}
	r, err := h.api.GetRoom(h.ctx, &pb.GetRoomRequest{RoomId: room})
	if err != nil {
		return out
	}
	for _, p := range r.GetParticipants() {
		for _, d := range p.GetDevices() {
			out[d.GetConnectionId()] = true
		}
	}
	return out
}

// errorsOf returns the `error` messages a browser received.
func errorsOf(c *wsclient.Conn) []meeting.ErrorMsg {
	var out []meeting.ErrorMsg
	for _, m := range c.Messages() {
		if m.Type == meeting.TypeError {
			var e meeting.ErrorMsg
			_ = m.Decode(&e)
			out = append(out, e)
		}
	}
	return out
}

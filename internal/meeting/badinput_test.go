package meeting_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/switchyard-sfu/switchyard/internal/meeting"
	"github.com/switchyard-sfu/switchyard/internal/meeting/wsclient"
)

// expectError sends raw on c and waits for the `error` it earns.
func (h *harness) expectError(c *wsclient.Conn, raw string, re, code string) meeting.ErrorMsg {
	h.t.Helper()
	from := c.Len()
	if err := c.SendRaw(h.ctx, []byte(raw)); err != nil {
		h.t.Fatal(err)
	}
	m, _ := h.wait(c, from, "error for "+truncate(raw), wsclient.OfType(meeting.TypeError))
	var e meeting.ErrorMsg
	_ = m.Decode(&e)
	if e.Re != re || e.Code != code || e.Message == "" || e.Fatal {
		h.t.Fatalf("%s: got %+v, want re %q code %q with a message", truncate(raw), e, re, code)
	}
	return e
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// bareOffer is a browser-like first OFFER from a bare pion peer (one
// recvonly audio m-line), for sockets driven by hand.
func bareOffer(t *testing.T) string {
	t.Helper()
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-time.After(testTimeout):
		t.Fatal("ICE gathering did not complete")
	}
	return pc.LocalDescription().SDP
}

func joinMsg(meetingName, name, sdp string) string {
	b, _ := json.Marshal(map[string]any{"type": "join", "meeting": meetingName, "name": name,
		"roap": map[string]any{"messageType": "OFFER", "seq": 1, "sdp": sdp, "tieBreaker": uint32(0xFFFFFFFE)}})
	return string(b)
}

// Bad input gets a clear error to the browser that sent it, the socket
// stays usable, and the other browser in the meeting notices nothing.
func TestBadInputErrorsOnlyTheSender(t *testing.T) {
	h := start(t, nil)
	bob := h.join("review", "Bob", publisher)
	bobErrors := len(errorsOf(bob.conn))

	x := h.dial()
	h.expectError(x, `{"type":`, "", meeting.CodeInvalidArgument)
	h.expectError(x, `[1,2,3]`, "", meeting.CodeInvalidArgument)
	h.expectError(x, `{"meeting":"review"}`, "", meeting.CodeInvalidArgument)
	h.expectError(x, `{"type":"dance"}`, "dance", meeting.CodeInvalidArgument)
	h.expectError(x, `{"type":"roap","roap":{"messageType":"OFFER","seq":2,"sdp":"v=0"}}`, "roap", meeting.CodeFailedPrecondition)
	h.expectError(x, `{"type":"mediaRequest","seq":1,"requests":[]}`, "mediaRequest", meeting.CodeFailedPrecondition)
	h.expectError(x, `{"type":"leave"}`, "leave", meeting.CodeFailedPrecondition)
	e := h.expectError(x, joinMsg("no spaces allowed", "X", "v=0"), "join", meeting.CodeInvalidArgument)
	if !strings.Contains(e.Message, "meeting") {
		t.Fatalf("bad meeting name error doesn't say which field: %q", e.Message)
	}
	h.expectError(x, joinMsg("review", "", "v=0"), "join", meeting.CodeInvalidArgument)
	h.expectError(x, joinMsg("review", strings.Repeat("n", 65), "v=0"), "join", meeting.CodeInvalidArgument)
	h.expectError(x, `{"type":"join","meeting":"review","name":"X","roap":{"messageType":"ANSWER","seq":1,"sdp":"v=0"}}`, "join", meeting.CodeInvalidArgument)
	h.expectError(x, `{"type":"join","meeting":"review","name":"X","roap":{"messageType":"HELLO","seq":1}}`, "join", meeting.CodeInvalidArgument)
	// Garbage SDP reaches the node, which refuses it; the error carries
	// the node's message and the browser's ROAP machine gets an ERROR.
	from := x.Len()
	e = h.expectError(x, joinMsg("review", "X", "not sdp"), "join", meeting.CodeInvalidArgument)
	if _, _, err := x.Wait(h.ctx, from, wsclient.OfType(meeting.TypeRoap)); err != nil {
		t.Fatalf("no ROAP ERROR relayed for malformed SDP (error was %q)", e.Message)
	}

	// A frame over 64 KiB closes that socket with 1009.
	big := h.dial()
	if err := big.SendRaw(h.ctx, []byte(`{"type":"join","name":"`+strings.Repeat("x", meeting.MaxMessageBytes)+`"}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-big.Closed():
	case <-time.After(testTimeout):
		t.Fatal("oversized frame did not close the socket")
	}
	if code := big.CloseStatus(); code != websocket.StatusMessageTooBig {
		t.Fatalf("oversized frame closed with %v, want 1009", code)
	}

	// A joined browser asking for a slot it doesn't have gets the node's
	// INVALID_ARGUMENT naming it; its next good request still works.
	e = h.expectError(bob.conn, `{"type":"mediaRequest","seq":5,"requests":[{"policy":"active-speaker","slots":["nope"]}]}`,
		"mediaRequest", meeting.CodeInvalidArgument)
	if !strings.Contains(e.Message, "nope") {
		t.Fatalf("unknown slot error doesn't name it: %q", e.Message)
	}
	bobErrors++
	h.expectError(bob.conn, `{"type":"mediaRequest","seq":6,"requests":[{"policy":"receiver-selected","slots":["0"]}]}`,
		"mediaRequest", meeting.CodeInvalidArgument)
	bobErrors++
	if ack := h.requestOthers(bob, 7); !ack.GetApplied() {
		t.Fatalf("good request after bad ones: %v", ack)
	}
	h.expectError(bob.conn, `{"type":"mute","kind":"smell","muted":true}`, "mute", meeting.CodeInvalidArgument)
	bobErrors++
	h.expectError(bob.conn, `{"type":"mute","kind":"audio","muted":true,"participantId":"p-nobody"}`, "mute", meeting.CodeNotFound)
	bobErrors++
	h.expectError(bob.conn, `{"type":"floor","action":"steal"}`, "floor", meeting.CodeInvalidArgument)
	bobErrors++
	h.expectError(bob.conn, joinMsg("review", "Bob again", "v=0"), "join", meeting.CodeFailedPrecondition)
	bobErrors++
	// A renegotiation with garbage SDP: the node's ROAP ERROR comes back
	// for the page's state machine, then the error; nothing changes.
	from = bob.conn.Len()
	h.expectError(bob.conn, `{"type":"roap","roap":{"messageType":"OFFER","seq":9,"sdp":"garbage"}}`, "roap", meeting.CodeInvalidArgument)
	bobErrors++
	m, _ := h.wait(bob.conn, from, "ROAP ERROR", wsclient.OfType(meeting.TypeRoap))
	var r meeting.RoapOutMsg
	_ = m.Decode(&r)
	if r.Roap.MessageType != "ERROR" || r.Roap.Seq != 9 || r.Roap.ErrorType != "FAILED" {
		t.Fatalf("relayed %+v", r.Roap)
	}
	if n := len(errorsOf(bob.conn)); n != bobErrors {
		t.Fatalf("Bob got %d errors, want only his own %d: %+v", n, bobErrors, errorsOf(bob.conn))
	}
	if conns := h.connections("review"); len(conns) != 1 {
		t.Fatalf("node has %d connections in the meeting, want Bob's only", len(conns))
	}
}

// A browser that disappears without leaving, whether its TCP connection
// closes without a close frame or it stops answering pings, is taken off
// the node within a bounded time.
func TestVanishedBrowsersLeaveTheNode(t *testing.T) {
	h := start(t, func(o *meeting.Options) {
		o.PingInterval, o.PingTimeout = 200*time.Millisecond, 2*time.Second
	})
	sdp := bareOffer(t)

	// rawJoin joins by hand. With keepReading the socket goes on reading
	// (so it answers pings); otherwise it never reads after `joined`.
	rawJoin := func(name string, keepReading bool) (*websocket.Conn, string) {
		ws, _, err := websocket.Dial(h.ctx, h.wsURL(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ws.CloseNow() })
		if err := ws.Write(h.ctx, websocket.MessageText, []byte(joinMsg("gone", name, sdp))); err != nil {
			t.Fatal(err)
		}
		for {
			ctx, cancel := context.WithTimeout(h.ctx, testTimeout)
			_, data, err := ws.Read(ctx)
			cancel()
			if err != nil {
				t.Fatalf("%s: no joined: %v", name, err)
			}
			var j meeting.JoinedMsg
			if json.Unmarshal(data, &j) == nil && j.Type == meeting.TypeJoined {
				if keepReading {
					go func() {
						for {
							if _, _, err := ws.Read(context.Background()); err != nil {
								return
							}
						}
					}()
				}
				return ws, j.ConnectionID
			}
		}
	}
	stay := h.join("gone", "Stays", publisher)

	// A tab that crashes: its TCP connection closes with no close frame.
	crashed, crashedConn := rawJoin("Crashed", true)
	if !h.connections("gone")[crashedConn] {
		t.Fatalf("crashed browser's connection %s not on the node", crashedConn)
	}
	_ = crashed.CloseNow()
	h.eventually("crashed browser's connection gone", func() bool { return !h.connections("gone")[crashedConn] }, nil)

	// A browser whose socket stays open but never reads again, so it never
	// answers a ping. (`joined` comes only after the node's Join
	// succeeded, so its connection was there.)
	_, silentConn := rawJoin("Silent", false)
	h.eventually("silent browser's connection gone", func() bool { return !h.connections("gone")[silentConn] }, nil)

	if c := h.connections("gone"); len(c) != 1 || !c[stay.node.Joined().ConnectionID] {
		t.Fatalf("after both vanished the node has %v", c)
	}
	if errs := errorsOf(stay.conn); len(errs) != 0 {
		t.Fatalf("the browser that stayed got errors: %+v", errs)
	}
}

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/client"
	"github.com/switchyard-sfu/switchyard/pkg/room"
)

// rawPeer is a pion PeerConnection driven by the test itself, so the test
// controls exactly when ROAP messages go out.
type rawPeer struct {
	t  *testing.T
	pc *webrtc.PeerConnection
}

func newRawPeer(t *testing.T) *rawPeer {
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	api, err := room.NewAPI(se, false)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	return &rawPeer{t: t, pc: pc}
}

func (p *rawPeer) local(ctx context.Context, offer bool) string {
	p.t.Helper()
	var d webrtc.SessionDescription
	var err error
	if offer {
		d, err = p.pc.CreateOffer(nil)
	} else {
		d, err = p.pc.CreateAnswer(nil)
	}
	if err != nil {
		p.t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(d); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		p.t.Fatal("gathering timed out")
	}
	return p.pc.LocalDescription().SDP
}

func (p *rawPeer) remote(typ webrtc.SDPType, sdp string) {
	p.t.Helper()
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: typ, SDP: sdp}); err != nil {
		p.t.Fatal(err)
	}
}

// nodeOffers forwards the node-initiated OFFERs for conn from the event
// stream until it ends.
func nodeOffers(ev pb.MediaNode_EventsClient, conn string) <-chan *pb.RoapMessage {
	ch := make(chan *pb.RoapMessage, 16)
	go func() {
		defer close(ch)
		for {
			e, err := ev.Recv()
			if err != nil {
				return
			}
			if r := e.GetRoap(); r != nil && r.GetConnectionId() == conn &&
				r.GetMessage().GetMessageType() == pb.RoapMessageType_ROAP_OFFER {
				ch <- r.GetMessage()
			}
		}
	}()
	return ch
}

// nextNodeOffer waits for a node OFFER with seq > after; if media is given,
// it also returns (nil) as soon as media of a kind not yet in kinds arrives.
func nextNodeOffer(t *testing.T, offers <-chan *pb.RoapMessage, after uint64, media <-chan string, kinds map[string]bool) *pb.RoapMessage {
	t.Helper()
	timeout := time.After(testTimeout)
	for {
		select {
		case o, ok := <-offers:
			if !ok {
				t.Fatal("event stream ended")
			}
			if o.GetSeq() > after {
				return o
			}
		case k := <-media:
			if !kinds[k] {
				kinds[k] = true
				return nil
			}
		case <-timeout:
			t.Fatalf("no node offer after seq %d (media so far %v)", after, kinds)
		}
	}
}

// Glare: the client's offer crosses a node offer. The client wins; the node
// answers it and re-offers its change afterwards with a higher seq, and the
// change (a new publisher's tracks) reaches the client.
func TestGlareClientWins(t *testing.T) {
	h := startNode(t)
	h.createRoom("glare")
	ctx, cancel := context.WithTimeout(h.ctx, testTimeout)
	defer cancel()

	p := newRawPeer(t)
	join, err := h.api.Join(ctx, &pb.JoinRequest{RoomId: "glare", ParticipantId: "raw", DeviceId: "d",
		Offer: &pb.RoapMessage{MessageType: pb.RoapMessageType_ROAP_OFFER, Seq: 1, Sdp: p.local(ctx, true), TieBreaker: 0xFFFFFFFE}})
	if err != nil {
		t.Fatal(err)
	}
	p.remote(webrtc.SDPTypeAnswer, join.GetAnswer().GetSdp())
	conn := join.GetConnectionId()
	ev, err := h.api.Events(ctx, &pb.EventsRequest{RoomId: "glare", AfterSeq: join.GetEventSeq()})
	if err != nil {
		t.Fatal(err)
	}

	// A publisher joins: the node offers its tracks to the raw peer, which
	// does not answer yet.
	offers := nodeOffers(ev, conn)
	pub := h.join("glare", "pub", "d", client.Options{Audio: true, Video: true})
	nodeOffer := nextNodeOffer(t, offers, 1, nil, nil)
	if nodeOffer.GetTieBreaker() >= 0xFFFFFFFE {
		t.Fatalf("node tie breaker %#x must be below the client's", nodeOffer.GetTieBreaker())
	}

	// The client's own offer crosses it.
	seq := nodeOffer.GetSeq() + 1
	res, err := h.api.Roap(ctx, &pb.RoapRequest{ConnectionId: conn, Message: &pb.RoapMessage{
		MessageType: pb.RoapMessageType_ROAP_OFFER, Seq: seq, Sdp: p.local(ctx, true), TieBreaker: 0xFFFFFFFE}})
	if err != nil {
		t.Fatal(err)
	}
	if res.GetReply().GetMessageType() != pb.RoapMessageType_ROAP_ANSWER || res.GetReply().GetSeq() != seq {
		t.Fatalf("client offer in glare: reply %v, want ANSWER seq %d", res.GetReply(), seq)
	}
	p.remote(webrtc.SDPTypeAnswer, res.GetReply().GetSdp())
	// The client, too, answers the stale node offer with CONFLICT; the node
	// must take that in its stride.
	if _, err := h.api.Roap(ctx, &pb.RoapRequest{ConnectionId: conn, Message: &pb.RoapMessage{
		MessageType: pb.RoapMessageType_ROAP_ERROR, Seq: nodeOffer.GetSeq(), ErrorType: pb.RoapErrorType_ROAP_ERROR_CONFLICT}}); err != nil {
		t.Fatal(err)
	}

	// The node re-offers its change with a higher seq; answering it brings
	// the publisher's tracks.
	got := make(chan string, 4)
	p.pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		if _, _, err := tr.Read(buf); err == nil {
			got <- tr.Kind().String()
		}
	})
	// The node re-offers its change with a higher seq (the video track,
	// published meanwhile, may follow in one more offer); answering brings
	// the publisher's tracks.
	kinds := map[string]bool{}
	last := seq
	for len(kinds) < 2 {
		re := nextNodeOffer(t, offers, last, got, kinds)
		if re == nil {
			continue
		}
		if re.GetTieBreaker() >= 0xFFFFFFFE {
			t.Fatalf("node tie breaker %#x", re.GetTieBreaker())
		}
		last = re.GetSeq()
		p.remote(webrtc.SDPTypeOffer, re.GetSdp())
		res, err = h.api.Roap(ctx, &pb.RoapRequest{ConnectionId: conn, Message: &pb.RoapMessage{
			MessageType: pb.RoapMessageType_ROAP_ANSWER, Seq: last, Sdp: p.local(ctx, false)}})
		if err != nil || res.GetReply() != nil {
			t.Fatalf("answer to the re-offer: %v %v", res.GetReply(), err)
		}
	}
	_ = pub
}

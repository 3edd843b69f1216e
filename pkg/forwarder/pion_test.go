package forwarder

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/transport/v4/test"
	"github.com/pion/webrtc/v4"
)

func newLoopbackAPI(t *testing.T) *webrtc.API {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	var s webrtc.SettingEngine
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(0) // ice.MulticastDNSModeDisabled
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(s))
}

// connect negotiates offerer -> answerer with full ICE gathering.
func connect(t *testing.T, offerer, answerer *webrtc.PeerConnection) {
	t.Helper()
	offer, err := offerer.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(offerer)
	if err := offerer.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := answerer.SetRemoteDescription(*offerer.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	answer, err := answerer.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(answerer)
	if err := answerer.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := offerer.SetRemoteDescription(*answerer.LocalDescription()); err != nil {
		t.Fatal(err)
	}
}

// TestPionLoopback forwards VP8 from a pion publisher through a Receiver and a
// DownTrack bound by a real RTPSender to a pion subscriber, and carries the
// subscriber's PLI back to the publisher.
func TestPionLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("real PeerConnections")
	}
	defer test.CheckRoutines(t)()
	defer test.TimeOut(30 * time.Second).Stop()

	api := newLoopbackAPI(t)
	pc := func() *webrtc.PeerConnection {
		p, err := api.NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	pub, sfuIn, sfuOut, sub := pc(), pc(), pc(), pc()
	var wg sync.WaitGroup
	defer func() {
		for _, p := range []*webrtc.PeerConnection{pub, sfuIn, sfuOut, sub} {
			_ = p.Close()
		}
		wg.Wait()
	}()

	// Publisher -> SFU.
	src, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "cam", "alice")
	if err != nil {
		t.Fatal(err)
	}
	pubSender, err := pub.AddTrack(src)
	if err != nil {
		t.Fatal(err)
	}
	pliAtPublisher := make(chan struct{}, 16)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			pkts, _, err := pubSender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if _, ok := p.(*rtcp.PictureLossIndication); ok {
					select {
					case pliAtPublisher <- struct{}{}:
					default:
					}
				}
			}
		}
	}()
	if _, err := sfuIn.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	receivers := make(chan *Receiver, 1)
	sfuIn.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		r := NewReceiver(ReceiverOptions{
			Kind: track.Kind(), SSRC: uint32(track.SSRC()), Codec: track.Codec(),
			RequestKeyframe: func(ssrc uint32) {
				_ = sfuIn.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
			},
		})
		receivers <- r
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = r.ReadLoop(track)
		}()
	})
	connect(t, pub, sfuIn)

	// Send VP8 until the SFU's track shows up, then keep sending.
	stopSending := make(chan struct{})
	var sendWG sync.WaitGroup
	sendWG.Add(1)
	go func() {
		defer sendWG.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stopSending:
				return
			case <-tick.C:
			}
			payload := append([]byte(nil), vp8DeltaPayload...)
			if i%20 == 0 {
				payload = append([]byte(nil), vp8KeyPayload...)
			}
			payload = append(payload, byte(i))
			_ = src.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(i), Timestamp: uint32(i) * 3000, Marker: true}, Payload: payload})
		}
	}()
	defer func() { close(stopSending); sendWG.Wait() }()

	var r *Receiver
	select {
	case r = <-receivers:
	case <-time.After(10 * time.Second):
		t.Fatal("no upstream track")
	}

	// SFU -> subscriber.
	d, err := NewDownTrack(DownTrackOptions{ID: "cam", StreamID: "alice", Receiver: r})
	if err != nil {
		t.Fatal(err)
	}
	sender, err := sfuOut.AddTrack(d)
	if err != nil {
		t.Fatal(err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := d.RunRTCP(sender); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) {
			t.Logf("RunRTCP: %v", err)
		}
	}()
	r.AddDownTrack(d)

	type received struct {
		*rtp.Packet
		rtx bool // arrived as RTX, unwrapped by pion
	}
	got := make(chan received, 64)
	sub.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1500)
			for {
				n, attrs, err := track.Read(buf)
				if err != nil {
					return
				}
				p := &rtp.Packet{}
				if err := p.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
					continue
				}
				select {
				case got <- received{Packet: p, rtx: attrs != nil && attrs.Get(webrtc.AttributeRtxSsrc) != nil}:
				default:
				}
			}
		}()
	})
	connect(t, sfuOut, sub)

	var first, last received
	for n := 0; n < 30; n++ {
		select {
		case p := <-got:
			last = p
			if first.Packet == nil {
				first = p
				if !isVP8Keyframe(p.Payload) {
					t.Errorf("first forwarded packet is not a keyframe: %x", p.Payload)
				}
			}
			if p.SSRC != d.SSRC() {
				t.Errorf("ssrc %x, want %x", p.SSRC, d.SSRC())
			}
			if !bytes.HasPrefix(p.Payload, vp8KeyPayload[:4]) && !bytes.HasPrefix(p.Payload, vp8DeltaPayload[:4]) {
				t.Errorf("payload %x", p.Payload)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("subscriber got %d packets", n)
		}
	}

	// The real negotiation offered RTX (pion's default codecs have it).
	if b := d.bound.Load(); b.rtxSSRC == 0 || b.rtxPayloadType == 0 || b.payloadType == 0 {
		t.Errorf("binding %+v: want RTX SSRC and payload type", b)
	}

	// A NACK comes back as RTX that pion's receiver unwraps to the original.
	if err := sub.WriteRTCP([]rtcp.Packet{&rtcp.TransportLayerNack{
		MediaSSRC: d.SSRC(), Nacks: []rtcp.NackPair{{PacketID: last.SequenceNumber}},
	}}); err != nil {
		t.Fatal(err)
	}
	for repaired := false; !repaired; {
		select {
		case p := <-got:
			if p.rtx {
				if p.SequenceNumber != last.SequenceNumber || !bytes.Equal(p.Payload, last.Payload) || p.Timestamp != last.Timestamp {
					t.Errorf("repaired packet %d/%d %x, want %d/%d %x", p.SequenceNumber, p.Timestamp, p.Payload, last.SequenceNumber, last.Timestamp, last.Payload)
				}
				repaired = true
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no RTX after NACK; stats %+v", d.Stats())
		}
	}

	// A PLI from the subscriber reaches the publisher.
	for len(pliAtPublisher) > 0 {
		<-pliAtPublisher
	}
	deadline := time.After(10 * time.Second)
	for {
		if err := sub.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: d.SSRC()}}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-pliAtPublisher:
			if d.Stats().PLIs == 0 {
				t.Error("DownTrack did not count the PLI")
			}
			return
		case <-time.After(600 * time.Millisecond): // the throttle may have eaten it
		case <-deadline:
			t.Fatal("PLI never reached the publisher")
		}
	}
}

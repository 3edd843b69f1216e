package ssrcsim

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/transport/v4/test"
	"github.com/pion/webrtc/v4"
)

// newAPI builds a loopback API with pion's default codecs and interceptors;
// first, if given, go ahead of them in the registry.
func newAPI(t *testing.T, first ...interceptor.Factory) *webrtc.API {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	for _, f := range first {
		reg.Add(f)
	}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		t.Fatal(err)
	}
	var s webrtc.SettingEngine
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(0) // ice.MulticastDNSModeDisabled
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(s))
}

// toWebex turns pion's RID simulcast offer into what a Webex client sends:
// no a=rid, a=simulcast, media-level a=msid or MID/RID extmaps, and an
// a=ssrc-group:SIM of the encodings' SSRCs (lowest first) with per-SSRC
// max-fs. pion already wrote the a=ssrc lines and FID groups.
func toWebex(offer string, encodings []webrtc.RTPEncodingParameters, maxFs []int) string {
	var out []string
	simDone := false
	for _, l := range strings.Split(strings.TrimSuffix(offer, "\r\n"), "\r\n") {
		k, v, _ := attr(l)
		switch {
		case k == "rid", k == "simulcast", k == "msid":
			continue
		case k == "extmap" && (strings.Contains(v, sdp.SDESMidURI) || strings.Contains(v, "sdes:rtp-stream-id") ||
			strings.Contains(v, sdp.SDESRepairRTPStreamIDURI)):
			continue
		case (k == "ssrc-group" || k == "ssrc") && !simDone:
			ssrcs := make([]string, len(encodings))
			for i, e := range encodings {
				ssrcs[i] = fmt.Sprint(e.SSRC)
			}
			out = append(out, "a=ssrc-group:SIM "+strings.Join(ssrcs, " "))
			for i, e := range encodings {
				out = append(out, fmt.Sprintf("a=ssrc:%d fmtp:* max-fs=%d", e.SSRC, maxFs[i]))
			}
			simDone = true
		}
		out = append(out, l)
	}
	return strings.Join(out, "\r\n") + "\r\n"
}

// extSpy counts packets that reach the receiver already carrying the MID or
// RID extension; it sits ahead of the Stamper to prove the sender sent none.
type extSpy struct {
	interceptor.NoOp
	ids    atomic.Pointer[Extensions]
	tagged atomic.Int64
	seen   atomic.Int64
}

func (s *extSpy) NewInterceptor(string) (interceptor.Interceptor, error) { return s, nil }

func (s *extSpy) BindRemoteStream(_ *interceptor.StreamInfo, next interceptor.RTPReader) interceptor.RTPReader {
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := next.Read(b, a)
		var h rtp.Header
		if ids := s.ids.Load(); err == nil && ids != nil {
			if _, perr := h.Unmarshal(b[:n]); perr == nil {
				s.seen.Add(1)
				if h.GetExtension(ids.MID) != nil || h.GetExtension(ids.RID) != nil || h.GetExtension(ids.RepairedRID) != nil {
					s.tagged.Add(1)
				}
			}
		}
		return n, a, err
	})
}

// TestPionDemuxesSSRCSimulcast sends three simulcast encodings from a pion
// sender without any MID/RID header extension, signals them to the receiver
// the Webex way (ssrc-group:SIM) through Rewrite, and checks that the
// receiver's pion, with the Stamper in its chain, fires OnTrack once per
// layer with RIDs l0, l1, l2 and each track carries the packets of the SSRC
// that SIM position names; then that a NACKed packet comes back as RTX on
// the right track.
func TestPionDemuxesSSRCSimulcast(t *testing.T) {
	if testing.Short() {
		t.Skip("real PeerConnections")
	}
	defer test.CheckRoutines(t)()
	defer test.TimeOut(30 * time.Second).Stop()

	stamper := NewStamper()
	spy := &extSpy{}
	sender, err := newAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	receiver, err := newAPI(t, spy, stamper).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		_ = sender.Close()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	defer func() {
		close(stop)
		_ = sender.Close()
		_ = receiver.Close()
		wg.Wait()
	}()

	// Sender: one sendonly transceiver, encodings q, h, f (lowest first).
	sendRIDs := []string{"q", "h", "f"}
	tracks := make([]*webrtc.TrackLocalStaticRTP, len(sendRIDs))
	for i, rid := range sendRIDs {
		tracks[i], err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "webex", webrtc.WithRTPStreamID(rid))
		if err != nil {
			t.Fatal(err)
		}
	}
	tr, err := sender.AddTransceiverFromTrack(tracks[0], webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range tracks[1:] {
		if err := tr.Sender().AddEncoding(tl); err != nil {
			t.Fatal(err)
		}
	}
	for _, rid := range sendRIDs { // RTCP must be read for the NACK responder to see NACKs
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, _, err := tr.Sender().ReadSimulcastRTCP(rid); err != nil {
					return
				}
			}
		}()
	}
	encodings := tr.Sender().GetParameters().Encodings
	if len(encodings) != 3 {
		t.Fatalf("%d encodings", len(encodings))
	}

	// Receiver: one reader per track; payload byte 1 names the sending layer.
	type got struct {
		rid       string
		ssrc      uint32
		layer     byte
		seq       uint16
		rtxSSRC   uint32 // set when pion unwrapped the packet from RTX
		trackSSRC uint32
	}
	packets := make(chan got, 256)
	receiver.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1500)
			for {
				n, attrs, err := track.Read(buf)
				if err != nil {
					return
				}
				var p rtp.Packet
				if p.Unmarshal(buf[:n]) != nil || len(p.Payload) < 2 {
					continue
				}
				g := got{rid: track.RID(), ssrc: p.SSRC, layer: p.Payload[1], seq: p.SequenceNumber, trackSSRC: uint32(track.SSRC())}
				if v, ok := attrs.Get(webrtc.AttributeRtxSsrc).(uint32); ok {
					g.rtxSSRC = v
				}
				select {
				case packets <- g:
				case <-stop:
					return
				}
			}
		}()
	})

	// Negotiate: the receiver only ever sees the Webex form, rewritten.
	offer, err := sender.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(sender)
	if err := sender.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	webex := toWebex(sender.LocalDescription().SDP, encodings, []int{240, 2304, 8160})
	if strings.Contains(webex, "a=rid") || !strings.Contains(webex, "a=ssrc-group:SIM") {
		t.Fatalf("not Webex form:\n%s", webex)
	}
	res, err := Rewrite(webex)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range res.Layers {
		want := Layer{MID: tr.Mid(), RID: fmt.Sprintf("l%d", i), SSRC: uint32(encodings[i].SSRC), RTXSSRC: uint32(encodings[i].RTX.SSRC), MaxFs: []int{240, 2304, 8160}[i]}
		if l != want || want.RTXSSRC == 0 {
			t.Errorf("layer %d = %+v, want %+v (with RTX)", i, l, want)
		}
	}
	if len(res.Layers) != 3 {
		t.Fatalf("%d layers", len(res.Layers))
	}
	if err := stamper.Set(res.Layers, res.Ext); err != nil {
		t.Fatal(err)
	}
	spy.ids.Store(&res.Ext)
	if err := receiver.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: res.SDP}); err != nil {
		t.Fatal(err)
	}
	answer, err := receiver.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(receiver)
	if err := receiver.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if !strings.Contains(receiver.LocalDescription().SDP, "a=simulcast:recv l0;l1;l2") {
		t.Fatalf("receiver did not accept the simulcast:\n%s", receiver.LocalDescription().SDP)
	}
	restored, err := res.RestoreAnswer(receiver.LocalDescription().SDP)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(restored, "a=rid") || strings.Contains(restored, "a=simulcast") || strings.Contains(restored, "sdes:mid") {
		t.Fatalf("restored answer still answers the rewrite:\n%s", restored)
	}
	if err := sender.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: restored}); err != nil {
		t.Fatal(err)
	}

	// Send plain VP8-looking packets on every layer, no header extensions.
	var lastSeq [3]atomic.Uint32
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			for layer, tl := range tracks {
				seq := uint16(1000*layer + i)
				p := &rtp.Packet{
					Header:  rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(i) * 3000, Marker: true},
					Payload: []byte{0x10, byte(layer), 0x9d, 0x01, 0x2a, byte(i)},
				}
				if tl.WriteRTP(p) == nil {
					lastSeq[layer].Store(uint32(seq))
				}
			}
		}
	}()

	const perLayer = 20
	var count [3]int
	timeout := time.After(15 * time.Second)
	for count[0] < perLayer || count[1] < perLayer || count[2] < perLayer {
		select {
		case g := <-packets:
			var layer int
			if _, err := fmt.Sscanf(g.rid, "l%d", &layer); err != nil || layer > 2 {
				t.Fatalf("track with RID %q", g.rid)
			}
			if g.layer != byte(layer) || g.ssrc != uint32(encodings[layer].SSRC) || g.trackSSRC != g.ssrc {
				t.Fatalf("track %s got layer %d's packet (ssrc %d, track ssrc %d, want %d)",
					g.rid, g.layer, g.ssrc, g.trackSSRC, encodings[layer].SSRC)
			}
			count[layer]++
		case <-timeout:
			t.Fatalf("packets per layer %v; stamper %+v", count, stamper.Stats())
		}
	}
	if n := len(receiver.GetTransceivers()); n != 1 {
		t.Errorf("%d transceivers, want 1 carrying the three layers", n)
	}

	// A NACK for a layer-1 packet comes back on its RTX SSRC, which pion can
	// only bind to track l1 through the repaired-RID stamp. pion drops the
	// RTX packet it binds the stream with (its probe keeps peeked packets
	// only for primary streams), so NACK again, a newer packet each time:
	// a resent packet keeps its RTX sequence number, and SRTP replay
	// protection would drop a second copy.
	nacked := map[uint16]bool{}
	nack := func() {
		seq := uint16(lastSeq[1].Load())
		nacked[seq] = true
		if err := receiver.WriteRTCP([]rtcp.Packet{&rtcp.TransportLayerNack{
			MediaSSRC: uint32(encodings[1].SSRC), Nacks: []rtcp.NackPair{{PacketID: seq}},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	nack()
	renack := time.NewTicker(100 * time.Millisecond)
	defer renack.Stop()
	for repaired := false; !repaired; {
		select {
		case g := <-packets:
			if g.rtxSSRC == 0 {
				continue
			}
			if g.rid != "l1" || g.rtxSSRC != uint32(encodings[1].RTX.SSRC) || !nacked[g.seq] || g.layer != 1 {
				t.Fatalf("repaired packet %+v, want a NACKed one (%v) on l1 from RTX %d", g, nacked, encodings[1].RTX.SSRC)
			}
			repaired = true
		case <-renack.C:
			nack()
		case <-timeout:
			t.Fatalf("no RTX on l1 after NACK; stamper %+v", stamper.Stats())
		}
	}

	st := stamper.Stats()
	if st.Stamped < 4 || st.NoRoom != 0 || st.Unstampable != 0 {
		t.Errorf("stamper %+v: want the 3 layers and the RTX stream stamped", st)
	}
	if spy.seen.Load() == 0 || spy.tagged.Load() != 0 {
		t.Errorf("spy saw %d packets, %d already tagged: the sender must send no MID/RID", spy.seen.Load(), spy.tagged.Load())
	}
}

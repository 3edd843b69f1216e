package forwarder

import (
	"errors"
	"testing"

	"github.com/pion/webrtc/v4"
)

func TestSlotCodecChange(t *testing.T) {
	clock := newFakeClock()
	h264 := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000}, PayloadType: 102}
	vp9 := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000}, PayloadType: 98}
	v := newLayer(t, clock, 0xA0, webrtc.RTPCodecTypeVideo, upVP8)
	h := newLayer(t, clock, 0xB0, webrtc.RTPCodecTypeVideo, h264)
	n := newLayer(t, clock, 0xC0, webrtc.RTPCodecTypeVideo, vp9)
	w := &recordingWriter{}
	d := newSlot(t, DownTrackOptions{}, videoContext(w, true))
	if b := d.bound.Load(); b.payloadType != 120 || len(b.codecs) != 2 || b.rtxSSRC != downRTXSSRC {
		t.Fatalf("slot binding %+v", b)
	}
	d.SwitchTo(v.r)
	vs := newVP8Source(v, 1, 10, 0, 5)
	vs.send(t, vs.next(1, true))
	d.SwitchTo(h.r)
	hpkt := func(seq uint16, payload []byte) []byte {
		return pkt{seq: seq, ts: uint32(seq) * 3000, pt: 102, ssrc: 0xB0, payload: payload, audioLevel: -1}.build(t)
	}
	h.r.HandlePacket(hpkt(70, []byte{0x41, 0x9a})) // delta: waits
	h.r.HandlePacket(hpkt(71, stapA(h264SPS, h264PPS)))
	h.r.HandlePacket(hpkt(72, []byte{0x65, 0x88}))
	out := w.packets()
	if len(out) != 3 {
		t.Fatalf("forwarded %d, want 3", len(out))
	}
	if out[0].PayloadType != 120 || out[1].PayloadType != 102 || out[2].PayloadType != 102 {
		t.Errorf("payload types %d %d %d, want 120 102 102", out[0].PayloadType, out[1].PayloadType, out[2].PayloadType)
	}
	if out[1].SequenceNumber != out[0].SequenceNumber+1 {
		t.Errorf("seq not continuous across the codec change")
	}
	// Retransmission of the H264 packet uses H264's RTX payload type.
	w.reset()
	d.retransmit(d.bound.Load(), out[2].SequenceNumber, clock.Now())
	if got := w.packets(); len(got) != 1 || got[0].PayloadType != 103 {
		t.Fatalf("retransmit %+v", got)
	}
	// VP9 was not negotiated: the switch completes, its packets are dropped.
	w.reset()
	d.SwitchTo(n.r)
	n.r.HandlePacket(pkt{seq: 1, pt: 98, ssrc: 0xC0, payload: []byte{0xaa, 0x80, 0x2a, 0x00, 0x05, 0x18}, audioLevel: -1}.build(t))
	if len(w.packets()) != 0 || d.Stats().CodecDrops != 1 || d.Source() != n.r {
		t.Errorf("vp9 source: %d packets, stats %+v", len(w.packets()), d.Stats())
	}
}

func TestSlotBind(t *testing.T) {
	vp8Only := []webrtc.RTPCodecCapability{{MimeType: webrtc.MimeTypeVP8}}
	h264First := []webrtc.RTPCodecCapability{{MimeType: webrtc.MimeTypeH264}, {MimeType: webrtc.MimeTypeVP8}}
	for _, tc := range []struct {
		name   string
		codecs []webrtc.RTPCodecCapability
		offer  []webrtc.RTPCodecParameters
		wantPT webrtc.PayloadType
		err    error
	}{
		{"any negotiated", nil, downVideoCodecs, 120, nil},
		{"preference order", h264First, downVideoCodecs, 102, nil},
		{"restricted", vp8Only, downVideoCodecs[2:], 0, ErrCodecNotNegotiated},
		{"wrong kind offered", nil, downAudioCodecs, 0, ErrCodecNotNegotiated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDownTrack(DownTrackOptions{ID: "s", Kind: webrtc.RTPCodecTypeVideo, Codecs: tc.codecs})
			if err != nil {
				t.Fatal(err)
			}
			c, err := d.Bind(&fakeContext{codecs: tc.offer, writer: &recordingWriter{}, ssrc: downSSRC})
			if !errors.Is(err, tc.err) || (err == nil && c.PayloadType != tc.wantPT) {
				t.Errorf("Bind = %d, %v; want %d, %v", c.PayloadType, err, tc.wantPT, tc.err)
			}
		})
	}
	r := NewReceiver(ReceiverOptions{Kind: webrtc.RTPCodecTypeAudio, Codec: upOpus})
	if _, err := NewDownTrack(DownTrackOptions{ID: "x", Kind: webrtc.RTPCodecTypeVideo, Receiver: r}); !errors.Is(err, ErrKindMismatch) {
		t.Errorf("kind mismatch: %v", err)
	}
	d, _ := NewDownTrack(DownTrackOptions{ID: "x", Kind: webrtc.RTPCodecTypeVideo})
	d.SwitchTo(r) // wrong kind: ignored
	if d.PendingSource() != nil || r.DownTrackCount() != 0 {
		t.Error("switched to a receiver of another kind")
	}
	// A slot restricted to VP8 drops an H264 source.
	clock := newFakeClock()
	h264 := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000}, PayloadType: 102}
	h := newLayer(t, clock, 0xB0, webrtc.RTPCodecTypeVideo, h264)
	w := &recordingWriter{}
	s := newSlot(t, DownTrackOptions{Codecs: vp8Only}, videoContext(w, false))
	s.SwitchTo(h.r)
	h.r.HandlePacket(pkt{seq: 1, pt: 102, ssrc: 0xB0, payload: stapA(h264SPS, h264PPS), audioLevel: -1}.build(t))
	if len(w.packets()) != 0 || s.Stats().CodecDrops != 1 {
		t.Errorf("restricted slot forwarded H264: %+v", s.Stats())
	}
}

package forwarder

import (
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// TestProberInsertsPadding: a probe is a padding-only packet on the
// primary SSRC with the next sequence number and the last timestamp, sent
// only between frames; forwarding continues after it without a gap, and a
// NACK of a packet sent before the probe still gets the right packet.
func TestProberInsertsPadding(t *testing.T) {
	f := newFixture(t, upVP8, webrtc.RTPCodecTypeVideo)
	w := &recordingWriter{}
	d := f.bound(t, videoContext(w, false))
	p := NewProber(d)
	if _, ok := p.Send(); ok {
		t.Fatal("probe sent before anything was forwarded")
	}
	// A frame of two packets, marker on the second.
	first := vp8(500, 3000, true)
	f.r.HandlePacket(first.build(t))
	if _, ok := p.Send(); ok {
		t.Fatal("probe sent in the middle of a frame")
	}
	second := vp8(501, 3000, false)
	second.marker = true
	f.r.HandlePacket(second.build(t))
	sent := w.packets()
	if len(sent) != 2 {
		t.Fatalf("forwarded %d", len(sent))
	}
	n, ok := p.Send()
	if !ok || n != 12+ProbePaddingSize {
		t.Fatalf("probe not sent: %d %v", n, ok)
	}
	third := vp8(502, 6000, false)
	third.marker = true
	f.r.HandlePacket(third.build(t))
	got := w.packets()
	if len(got) != 4 {
		t.Fatalf("%d packets, want 2 forwarded, a probe and 1 forwarded", len(got))
	}
	probe, after := got[2], got[3]
	if probe.SSRC != downSSRC || probe.SequenceNumber != sent[1].SequenceNumber+1 || probe.Timestamp != sent[1].Timestamp ||
		!probe.Padding || len(probe.Payload) != 0 || probe.Marker {
		t.Errorf("probe %+v after %+v", probe.Header, sent[1].Header)
	}
	if after.SequenceNumber != probe.SequenceNumber+1 || after.Timestamp != sent[1].Timestamp+3000 {
		t.Errorf("packet after the probe: seq %d ts %d", after.SequenceNumber, after.Timestamp)
	}
	if st := d.Stats(); st.Probes != 1 || st.Packets != 3 {
		t.Errorf("stats %+v", st)
	}

	// NACKs of packets before and after the probe map back correctly.
	rtcpIn := startRTCP(d)
	defer rtcpIn.stop(t)
	w.reset()
	rtcpIn.send(&rtcp.TransportLayerNack{MediaSSRC: downSSRC, Nacks: []rtcp.NackPair{
		{PacketID: sent[1].SequenceNumber}, {PacketID: after.SequenceNumber},
	}})
	re := w.packets()
	if len(re) != 2 || re[0].Timestamp != sent[1].Timestamp || re[1].Timestamp != after.Timestamp {
		t.Fatalf("retransmissions %v", re)
	}

	d.SetPaused(true)
	if _, ok := p.Send(); ok {
		t.Fatal("probe sent while paused")
	}
	d.SetPaused(false)
	if _, ok := p.Send(); !ok {
		t.Fatal("probe not sent after resuming")
	}
	d.SwitchTo(nil) // the slot lost its source (avatar)
	if _, ok := p.Send(); ok {
		t.Fatal("probe sent on a slot without a source")
	}
}

func BenchmarkProberSend(b *testing.B) {
	f := newFixture(b, upVP8, webrtc.RTPCodecTypeVideo)
	d := f.bound(b, videoContext(discardWriter{}, false))
	key := vp8(500, 0, true)
	key.marker = true
	f.r.HandlePacket(key.build(b))
	p := NewProber(d)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := p.Send(); !ok {
			b.Fatal("not sent")
		}
	}
}

package forwarder

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// benchReceiver returns a video Receiver with n DownTracks bound to writers
// that discard, already past their first keyframe.
func benchReceiver(b testing.TB, n int) (*Receiver, []byte) {
	b.Helper()
	r := NewReceiver(ReceiverOptions{Kind: webrtc.RTPCodecTypeVideo, SSRC: upSSRC, Codec: upVP8})
	for i := range n {
		d, err := NewDownTrack(DownTrackOptions{ID: fmt.Sprint("v", i), Receiver: r})
		if err != nil {
			b.Fatal(err)
		}
		ctx := &fakeContext{codecs: downVideoCodecs, ssrc: webrtc.SSRC(1000 + i), rtx: webrtc.SSRC(2000 + i), writer: discardWriter{}}
		if _, err := d.Bind(ctx); err != nil {
			b.Fatal(err)
		}
		r.AddDownTrack(d)
	}
	r.HandlePacket(vp8(0, 0, true).build(b))
	// A 1000-byte delta packet carrying the publisher's extensions.
	p := vp8(1, 3000, false)
	p.payload = make([]byte, 1000)
	copy(p.payload, vp8DeltaPayload)
	p.otherExt = true
	return r, p.build(b)
}

func BenchmarkForward(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("downtracks=%d", n), func(b *testing.B) {
			r, raw := benchReceiver(b, n)
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			seq := uint16(1)
			for b.Loop() {
				binary.BigEndian.PutUint16(raw[2:], seq)
				r.HandlePacket(raw)
				seq++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/downtrack")
		})
	}
}

// BenchmarkRetransmit measures answering one NACKed packet with RTX.
func BenchmarkRetransmit(b *testing.B) {
	r, raw := benchReceiver(b, 1)
	for i := uint16(1); i < 512; i++ {
		binary.BigEndian.PutUint16(raw[2:], i)
		r.HandlePacket(raw)
	}
	d := (*r.downTracks.Load())[0]
	bnd := d.bound.Load()
	first := d.munger.segment().firstOut
	now := time.Unix(0, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now = now.Add(resendSuppression) // past the repeat suppression
		d.retransmit(bnd, first+uint16(i%500), now)
	}
	if d.Stats().Retransmits == 0 {
		b.Fatal("nothing retransmitted")
	}
}

func TestHotPathDoesNotAllocate(t *testing.T) {
	r, raw := benchReceiver(t, 3)
	seq := uint16(1)
	if n := testing.AllocsPerRun(1000, func() {
		binary.BigEndian.PutUint16(raw[2:], seq)
		r.HandlePacket(raw)
		seq++
	}); n != 0 {
		t.Errorf("HandlePacket allocates %v times per packet", n)
	}
	garbage := []byte{0xa0, 96, 0, 1, 0, 0, 0, 0, 0x11, 0x11, 0x11, 0x11, 9, 0}
	if n := testing.AllocsPerRun(100, func() { r.HandlePacket(garbage) }); n != 0 {
		t.Errorf("dropping garbage allocates %v times", n)
	}
	d := (*r.downTracks.Load())[0]
	bnd := d.bound.Load()
	last := seq - 1 + d.munger.segment().seqOffset
	now := time.Unix(0, 0)
	if n := testing.AllocsPerRun(100, func() {
		now = now.Add(resendSuppression)
		d.retransmit(bnd, last, now)
	}); n != 0 {
		t.Errorf("retransmit allocates %v times", n)
	}
	if d.Stats().Retransmits == 0 {
		t.Error("nothing retransmitted")
	}
}

// benchVP8 is a 1000-byte VP8 packet whose descriptor fields are set in place.
type benchVP8 struct {
	raw []byte
	n   int
}

func newBenchVP8(b testing.TB, ssrc uint32) *benchVP8 {
	p := newVP8Pkt()
	p.ssrc, p.start, p.pic, p.tl0, p.tid = ssrc, true, 0, 0, 0
	p.tail = make([]byte, 1000-9)
	return &benchVP8{raw: p.build(b)}
}

// next turns the packet into the next frame of an L1T3 stream (one packet
// per frame): seq, timestamp, picture id, TL0PICIDX, TID/Y and keyframe bit.
func (v *benchVP8) next(key bool) []byte {
	v.n++
	pos := v.n % 4
	if key {
		pos = 0
	}
	raw := v.raw
	binary.BigEndian.PutUint16(raw[2:], uint16(v.n))
	binary.BigEndian.PutUint32(raw[4:], uint32(v.n)*3000)
	p := raw[rtpHeaderSize:]
	binary.BigEndian.PutUint16(p[2:], 0x8000|uint16(v.n)&0x7FFF)
	p[4] = byte(v.n / 4)
	p[5] = byte([4]int{0, 2, 1, 2}[pos]) << 6
	if pos == 1 || pos == 2 || key {
		p[5] |= 0x20
	}
	p[6] = 0x31 // delta frame tag
	if key {
		p[6] = 0x50
	}
	return raw
}

// BenchmarkForwardVP8Rewrite forwards VP8 through a slot that switched
// source, so every packet's picture id and TL0PICIDX are rewritten into the
// DownTrack's scratch buffer; temporal=0 drops three frames in four.
func BenchmarkForwardVP8Rewrite(b *testing.B) {
	for _, tc := range []struct {
		name string
		max  int
	}{{"all-layers", -1}, {"temporal=0", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			clock := newFakeClock()
			la := newLayer(b, clock, 0xA0, webrtc.RTPCodecTypeVideo, upVP8)
			lb := newLayer(b, clock, 0xB0, webrtc.RTPCodecTypeVideo, upVP8)
			d := newSlot(b, DownTrackOptions{}, &fakeContext{codecs: downVideoCodecs, ssrc: downSSRC, writer: discardWriter{}})
			d.SwitchTo(la.r)
			va, vb := newBenchVP8(b, 0xA0), newBenchVP8(b, 0xB0)
			vb.n = 5000 // other numbers than a's
			la.r.HandlePacket(va.next(true))
			d.SwitchTo(lb.r)
			lb.r.HandlePacket(vb.next(true))
			if d.Source() != lb.r {
				b.Fatal("no switch")
			}
			d.SetMaxTemporalLayer(tc.max)
			b.ReportAllocs()
			b.SetBytes(int64(len(vb.raw)))
			for b.Loop() {
				lb.r.HandlePacket(vb.next(false))
			}
			if st := d.Stats(); st.Packets < 2 {
				b.Fatalf("stats %+v", st)
			}
		})
	}
}

// BenchmarkSwitch measures a complete source switch: SwitchTo (joins the
// target's fan-out, asks for a keyframe) and the target's keyframe that
// completes it (leaves the old fan-out).
func BenchmarkSwitch(b *testing.B) {
	clock := newFakeClock()
	ls := []*layer{
		newLayer(b, clock, 0xA0, webrtc.RTPCodecTypeVideo, upVP8),
		newLayer(b, clock, 0xB0, webrtc.RTPCodecTypeVideo, upVP8),
	}
	vs := []*benchVP8{newBenchVP8(b, 0xA0), newBenchVP8(b, 0xB0)}
	d := newSlot(b, DownTrackOptions{}, &fakeContext{codecs: downVideoCodecs, ssrc: downSSRC, writer: discardWriter{}})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := i % 2
		d.SwitchTo(ls[k].r)
		ls[k].r.HandlePacket(vs[k].next(true))
	}
	if st := d.Stats(); st.Switches != uint64(b.N) {
		b.Fatalf("%d switches in %d iterations", st.Switches, b.N)
	}
}

func TestSlotHotPathDoesNotAllocate(t *testing.T) {
	clock := newFakeClock()
	la := newLayer(t, clock, 0xA0, webrtc.RTPCodecTypeVideo, upVP8)
	lb := newLayer(t, clock, 0xB0, webrtc.RTPCodecTypeVideo, upVP8)
	d := newSlot(t, DownTrackOptions{}, &fakeContext{codecs: downVideoCodecs, ssrc: downSSRC, rtx: downRTXSSRC, writer: discardWriter{}})
	va, vb := newBenchVP8(t, 0xA0), newBenchVP8(t, 0xB0)
	d.SwitchTo(la.r)
	la.r.HandlePacket(va.next(true))
	d.SwitchTo(lb.r)
	lb.r.HandlePacket(vb.next(true))
	for _, max := range []int{-1, 1, 0} {
		d.SetMaxTemporalLayer(max)
		if n := testing.AllocsPerRun(200, func() { lb.r.HandlePacket(vb.next(false)) }); n != 0 {
			t.Errorf("max temporal layer %d: %v allocations per packet", max, n)
		}
	}
	// While a switch is pending both sources feed the slot.
	d.SwitchTo(la.r)
	if n := testing.AllocsPerRun(200, func() {
		la.r.HandlePacket(va.next(false))
		lb.r.HandlePacket(vb.next(false))
	}); n != 0 {
		t.Errorf("pending switch: %v allocations per packet", n)
	}
	b := d.bound.Load()
	now := clock.Now()
	if n := testing.AllocsPerRun(100, func() {
		now = now.Add(resendSuppression)
		d.retransmit(b, d.munger.lastSeq, now)
	}); n != 0 {
		t.Errorf("retransmit: %v allocations", n)
	}
	if st := d.Stats(); st.Retransmits == 0 || st.LayerDrops == 0 {
		t.Errorf("stats %+v", st)
	}
}

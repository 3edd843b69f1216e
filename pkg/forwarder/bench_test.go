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

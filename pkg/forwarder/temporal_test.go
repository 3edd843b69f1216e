package forwarder

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/transport/v4/test"
	"github.com/pion/webrtc/v4"
)

// temporalFixture is one VP8 layer with L1T3 and a slot on it.
type temporalFixture struct {
	clock *fakeClock
	src   *vp8Source
	w     *recordingWriter
	d     *DownTrack
}

func newTemporalFixture(t *testing.T, rtx bool) *temporalFixture {
	t.Helper()
	f := &temporalFixture{clock: newFakeClock(), w: &recordingWriter{}}
	l := newLayer(t, f.clock, 0xA0, webrtc.RTPCodecTypeVideo, upVP8)
	f.src = newVP8Source(l, 1, 100, 0, 30000)
	f.d = newSlot(t, DownTrackOptions{}, videoContext(f.w, rtx))
	f.d.SwitchTo(l.r)
	return f
}

// frames sends n frames of two packets and returns their TIDs.
func (f *temporalFixture) frames(t *testing.T, n int) []int {
	t.Helper()
	var tids []int
	for range n {
		f.clock.Advance(33 * time.Millisecond)
		fr := f.src.next(2, false)
		tids = append(tids, fr[0].tid)
		f.src.send(t, fr)
	}
	return tids
}

// checkContinuous checks contiguous sequence numbers, +1 picture ids per
// frame and TL0PICIDX following the base layer.
func checkContinuous(t *testing.T, out []sent) {
	t.Helper()
	for i := 1; i < len(out); i++ {
		if out[i].SequenceNumber != out[i-1].SequenceNumber+1 {
			t.Errorf("#%d: seq %d after %d", i, out[i].SequenceNumber, out[i-1].SequenceNumber)
		}
		a, b := outVP8(t, out[i-1]), outVP8(t, out[i])
		newFrame := out[i].Timestamp != out[i-1].Timestamp
		if newFrame && b.pic != (a.pic+1)&0x7FFF || !newFrame && b.pic != a.pic {
			t.Errorf("#%d: picture id %d after %d (new frame %v)", i, b.pic, a.pic, newFrame)
		}
		if b.tl0 != a.tl0 && (b.tl0 != a.tl0+1 || b.tid != 0) {
			t.Errorf("#%d: tl0 %d after %d on tid %d", i, b.tl0, a.tl0, b.tid)
		}
	}
}

func TestTemporalLayerLimit(t *testing.T) {
	f := newTemporalFixture(t, false)
	f.d.SetMaxTemporalLayer(0)
	f.frames(t, 9) // frames 0..8: key, 2, 1, 2, 0, 2, 1, 2, 0
	out := f.w.packets()
	if len(out) != 6 { // frames 0, 4, 8
		t.Fatalf("max 0: forwarded %d packets, want 6", len(out))
	}
	for _, o := range out {
		if d := outVP8(t, o); d.tid != 0 {
			t.Errorf("tid %d forwarded with max 0", d.tid)
		}
	}

	f.d.SetMaxTemporalLayer(1)
	f.frames(t, 4)                         // 9 (T2 Y) dropped, 10 (T1 Y) sync, 11 (T2) dropped, 12 (T0)
	f.d.SetMaxTemporalLayer(-1)            // all
	f.frames(t, 4)                         // 13 (T2 Y) sync, 14 (T1), 15 (T2), 16 (T0)
	f.clock.Advance(33 * time.Millisecond) // frame 17 (T2 Y): the limit drops in the middle
	fr := f.src.next(2, false)
	f.src.send(t, fr[:1])
	f.d.SetMaxTemporalLayer(0)
	f.src.send(t, fr[1:])
	f.frames(t, 3) // 18 (T1), 19 (T2) dropped, 20 (T0)

	out = f.w.packets()
	var got []uint8
	for i, o := range out {
		if i%2 == 0 {
			got = append(got, outVP8(t, o).tid)
		}
	}
	want := []uint8{0, 0, 0, 1, 0, 2, 1, 2, 0, 2, 0}
	if len(got) != len(want) {
		t.Fatalf("forwarded frames with tids %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("forwarded frames with tids %v, want %v", got, want)
		}
	}
	checkContinuous(t, out)
	if st := f.d.Stats(); st.LayerDrops != 2*(21-11) || st.Padding != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestTemporalSwitchUpWaitsForSync(t *testing.T) {
	f := newTemporalFixture(t, false)
	f.d.SetMaxTemporalLayer(0)
	f.frames(t, 3) // key, T2 Y, T1 Y
	f.d.SetMaxTemporalLayer(2)
	// Frame 3 is T2 without Y: it references frame 2 (T1), which was dropped.
	f.frames(t, 1)
	if n := len(f.w.packets()); n != 2 {
		t.Fatalf("forwarded %d packets, want only the keyframe", n)
	}
	f.frames(t, 2) // 4 (T0), 5 (T2 Y): forwarded
	if n := len(f.w.packets()); n != 6 {
		t.Fatalf("forwarded %d packets, want 6", n)
	}
	checkContinuous(t, f.w.packets())
}

func TestTemporalLateDroppedPacket(t *testing.T) {
	defer test.CheckRoutines(t)()
	f := newTemporalFixture(t, true)
	f.d.SetMaxTemporalLayer(0)
	key := f.src.next(2, false)
	f.src.send(t, key)
	// Frame 1 (T2, dropped) arrives second packet first: the first packet's
	// number was reserved as a possible loss, so it is filled with padding.
	f1 := f.src.next(2, false)
	f.src.send(t, f1[1:])
	f.src.send(t, f1[:1])
	// Frame 2 (T1, dropped): packets 1 and 3 of three arrive first; the gap
	// between them is the same dropped frame and takes no number.
	f2 := f.src.next(3, false)
	f.src.send(t, []vp8Pkt{f2[0], f2[2], f2[1]})
	f.src.send(t, f.src.next(2, false)) // frame 3 (T2) dropped
	f.src.send(t, f.src.next(2, false)) // frame 4 (T0)

	out := f.w.packets()
	if len(out) != 5 {
		t.Fatalf("forwarded %d packets, want 2 + padding + 2", len(out))
	}
	for i := 1; i < len(out); i++ {
		if out[i].SequenceNumber != out[i-1].SequenceNumber+1 {
			t.Errorf("#%d: seq %d after %d", i, out[i].SequenceNumber, out[i-1].SequenceNumber)
		}
	}
	pad := out[2]
	if !pad.Padding || len(pad.Payload) != 0 || pad.Marker {
		t.Fatalf("filler is not padding: %+v", pad.Header)
	}
	if a, b := outVP8(t, out[1]), outVP8(t, out[3]); b.pic != a.pic+1 {
		t.Errorf("picture id %d after %d across dropped frames", b.pic, a.pic)
	}
	if st := f.d.Stats(); st.Padding != 1 {
		t.Errorf("stats %+v", st)
	}

	// A NACK for the padded number is answered with padding (RTX: OSN only).
	f.w.reset()
	rtcpIn := startRTCP(f.d)
	defer rtcpIn.stop(t)
	rtcpIn.send(&rtcp.TransportLayerNack{MediaSSRC: downSSRC, Nacks: []rtcp.NackPair{{PacketID: pad.SequenceNumber, LostPackets: 1}}})
	got := f.w.packets()
	if len(got) != 2 || len(got[0].Payload) != 2 || binary.BigEndian.Uint16(got[0].Payload) != pad.SequenceNumber {
		t.Fatalf("retransmitted %+v", got)
	}
	if !bytesEqual(got[1].Payload[2:], out[3].Payload) {
		t.Errorf("retransmitted %x, want the forwarded %x", got[1].Payload[2:], out[3].Payload)
	}
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

func TestVP8PictureIDWidths(t *testing.T) {
	clock := newFakeClock()
	la := newLayer(t, clock, 0xA0, webrtc.RTPCodecTypeVideo, upVP8)
	lb := newLayer(t, clock, 0xB0, webrtc.RTPCodecTypeVideo, upVP8)
	a := newVP8Source(la, 1, 10, 0, 0x7FFE) // 15-bit, wraps
	b := newVP8Source(lb, 2, 20, 0, 120)    // 7-bit, wraps at 128
	b.pic7 = true
	w := &recordingWriter{}
	d := newSlot(t, DownTrackOptions{}, videoContext(w, false))
	d.SwitchTo(la.r)
	for range 4 {
		a.send(t, a.next(1, false))
	}
	d.SwitchTo(lb.r)
	b.send(t, b.next(1, true))
	for range 10 {
		b.send(t, b.next(1, false))
	}
	d.SwitchTo(la.r)
	a.send(t, a.next(1, true))
	a.send(t, a.next(1, false))
	out := w.packets()
	if len(out) != 17 {
		t.Fatalf("forwarded %d, want 17", len(out))
	}
	var counter uint16
	for i, o := range out {
		dsc := outVP8(t, o)
		if i == 0 {
			counter = dsc.pic
		} else {
			counter = (counter + 1) & 0x7FFF
		}
		want, in7 := counter, i >= 4 && i < 15
		if in7 {
			want &= 0x7F
		}
		if dsc.pic != want || dsc.pic15 == in7 {
			t.Errorf("#%d: picture id %d (15-bit %v), want %d", i, dsc.pic, dsc.pic15, want)
		}
	}
}

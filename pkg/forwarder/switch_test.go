package forwarder

import (
	"bytes"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/transport/v4/test"
	"github.com/pion/webrtc/v4"
)

// switchRecorder records OnSwitch calls.
type switchRecorder struct {
	mu    sync.Mutex
	calls [][2]*Receiver
}

func (s *switchRecorder) on(from, to *Receiver) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, [2]*Receiver{from, to})
}

func (s *switchRecorder) get() [][2]*Receiver {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][2]*Receiver(nil), s.calls...)
}

// simulcastFixture is a slot over three simulcast layers of one publisher.
type simulcastFixture struct {
	clock  *fakeClock
	layers [3]*layer
	srcs   [3]*vp8Source
	w      *recordingWriter
	d      *DownTrack
	sw     *switchRecorder
}

func newSimulcastFixture(t *testing.T) *simulcastFixture {
	t.Helper()
	f := &simulcastFixture{clock: newFakeClock(), w: &recordingWriter{}, sw: &switchRecorder{}}
	for i := range f.layers {
		f.layers[i] = newLayer(t, f.clock, uint32(0xA0+i), webrtc.RTPCodecTypeVideo, upVP8)
		f.srcs[i] = newVP8Source(f.layers[i], byte(i+1), uint16(1000*(i+1)), uint32(50000*(i+1)), 100*(i+1))
	}
	f.d = newSlot(t, DownTrackOptions{OnSwitch: f.sw.on}, videoContext(f.w, true))
	return f
}

// tick advances the clock by a frame interval and sends one frame on every layer.
func (f *simulcastFixture) tick(t *testing.T, key ...bool) {
	t.Helper()
	f.clock.Advance(33 * time.Millisecond)
	for i, s := range f.srcs {
		k := len(key) > i && key[i]
		s.send(t, s.next(2, k))
	}
}

func TestSlotSwitchUpWaitsForKeyframe(t *testing.T) {
	f := newSimulcastFixture(t)
	low, high := f.layers[0], f.layers[2]
	if f.d.Source() != nil || f.d.Kind() != webrtc.RTPCodecTypeVideo {
		t.Fatal("new slot has a source")
	}
	f.d.SwitchTo(low.r)
	if f.d.PendingSource() != low.r || low.r.DownTrackCount() != 1 || low.pliCount() != 1 {
		t.Fatalf("pending %p, fan-out %d, plis %d", f.d.PendingSource(), low.r.DownTrackCount(), low.pliCount())
	}
	f.tick(t) // every source starts with a keyframe
	if f.d.Source() != low.r || f.d.PendingSource() != nil {
		t.Fatal("first switch did not complete on the keyframe")
	}
	for range 5 {
		f.tick(t)
	}
	before := f.w.packets()
	if len(before) != 12 {
		t.Fatalf("forwarded %d packets of the low layer, want 12", len(before))
	}

	f.clock.Advance(time.Second) // past every throttle window
	f.d.SwitchTo(high.r)
	if high.pliCount() != 1 || low.pliCount() != 1 || f.layers[1].pliCount() != 0 {
		t.Fatalf("keyframe requests low/mid/high = %d/%d/%d, want 1/0/1",
			low.pliCount(), f.layers[1].pliCount(), high.pliCount())
	}
	for range 5 { // deltas of high within the throttle window: still low, no new request
		f.tick(t)
	}
	if high.pliCount() != 1 || f.d.Source() != low.r || f.d.PendingSource() != high.r {
		t.Fatalf("while pending: high plis %d, source %p", high.pliCount(), f.d.Source())
	}
	f.clock.Advance(500 * time.Millisecond)
	f.tick(t) // re-asked once the throttle allows
	if high.pliCount() != 2 {
		t.Fatalf("high plis after the throttle = %d, want 2", high.pliCount())
	}
	f.w.reset()
	f.tick(t, false, false, true) // the keyframe of high
	out := f.w.packets()
	// low's frame came first in this tick, then high's keyframe switched.
	if len(out) != 4 {
		t.Fatalf("tick forwarded %d packets, want 2 low + 2 high", len(out))
	}
	lastLow, firstHigh := out[1], out[2]
	if tag, _ := tagOf(lastLow.Payload); tag != 1 {
		t.Fatalf("packet before the switch has tag %d", tag)
	}
	if tag, _ := tagOf(firstHigh.Payload); tag != 3 || !isVP8Keyframe(firstHigh.Payload) {
		t.Fatalf("first packet after the switch: tag %d keyframe %v", tag, isVP8Keyframe(firstHigh.Payload))
	}
	if firstHigh.SequenceNumber != lastLow.SequenceNumber+1 || out[3].SequenceNumber != firstHigh.SequenceNumber+1 {
		t.Errorf("seq %d, %d after %d", firstHigh.SequenceNumber, out[3].SequenceNumber, lastLow.SequenceNumber)
	}
	if gap := firstHigh.Timestamp - lastLow.Timestamp; gap != 1 { // same fake instant: one tick
		t.Errorf("timestamp advanced by %d at the switch, want 1", gap)
	}
	dl, dh := outVP8(t, lastLow), outVP8(t, firstHigh)
	if dh.pic != (dl.pic+1)&0x7FFF || dh.tl0 != dl.tl0+1 {
		t.Errorf("picture id %d after %d, tl0 %d after %d", dh.pic, dl.pic, dh.tl0, dl.tl0)
	}
	if f.d.Source() != high.r || low.r.DownTrackCount() != 0 || high.r.DownTrackCount() != 1 {
		t.Errorf("after the switch: source %p, fan-out low %d high %d", f.d.Source(), low.r.DownTrackCount(), high.r.DownTrackCount())
	}
	f.w.reset()
	f.clock.Advance(100 * time.Millisecond)
	f.tick(t)
	out = f.w.packets()
	if len(out) != 2 {
		t.Fatalf("after the switch %d packets, want 2 of high", len(out))
	}
	for _, o := range out {
		if tag, _ := tagOf(o.Payload); tag != 3 {
			t.Errorf("packet of tag %d after the switch", tag)
		}
	}
	if gap := out[0].Timestamp - firstHigh.Timestamp; gap != 3000 {
		t.Errorf("high continues with ts +%d, want its own +3000", gap)
	}
	if calls := f.sw.get(); len(calls) != 2 || calls[0] != [2]*Receiver{nil, low.r} || calls[1] != [2]*Receiver{low.r, high.r} {
		t.Errorf("OnSwitch calls %v", calls)
	}
	if st := f.d.Stats(); st.Switches != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestSlotSwitchDownAndPLI(t *testing.T) {
	defer test.CheckRoutines(t)()
	f := newSimulcastFixture(t)
	low, high := f.layers[0], f.layers[2]
	f.d.SwitchTo(high.r)
	f.tick(t)
	f.tick(t)
	f.clock.Advance(time.Second)
	f.d.SwitchTo(low.r)
	rtcpIn := startRTCP(f.d)
	defer rtcpIn.stop(t)
	// A subscriber PLI during the switch goes to the pending layer (throttled).
	f.clock.Advance(time.Second)
	rtcpIn.send(&rtcp.PictureLossIndication{MediaSSRC: downSSRC})
	if high.pliCount() != 1 || low.pliCount() != 2 {
		t.Fatalf("plis high/low = %d/%d, want 1/2", high.pliCount(), low.pliCount())
	}
	f.w.reset()
	f.tick(t, true, false, false)
	out := f.w.packets()
	// low's keyframe comes first in the tick: high's frame is not forwarded.
	if len(out) != 2 || f.d.Source() != low.r {
		t.Fatalf("forwarded %d, source %p", len(out), f.d.Source())
	}
	for _, o := range out {
		if tag, _ := tagOf(o.Payload); tag != 1 {
			t.Errorf("tag %d after switching down", tag)
		}
	}
	// After the switch a PLI goes to the current source.
	f.clock.Advance(time.Second)
	rtcpIn.send(&rtcp.PictureLossIndication{MediaSSRC: downSSRC})
	if low.pliCount() != 3 || high.pliCount() != 1 {
		t.Errorf("plis high/low = %d/%d", high.pliCount(), low.pliCount())
	}
}

func TestSlotSwitchCancelReplaceAndNil(t *testing.T) {
	f := newSimulcastFixture(t)
	a, b, c := f.layers[0], f.layers[1], f.layers[2]
	f.d.SwitchTo(a.r)
	f.tick(t)
	f.d.SwitchTo(b.r)
	f.d.SwitchTo(a.r) // cancel
	if f.d.PendingSource() != nil || b.r.DownTrackCount() != 0 {
		t.Fatal("cancel left the pending source")
	}
	f.tick(t, false, true, false) // b's keyframe: no switch
	if f.d.Source() != a.r {
		t.Fatal("switched after cancel")
	}
	f.d.SwitchTo(b.r)
	f.d.SwitchTo(c.r) // replace
	if f.d.PendingSource() != c.r || b.r.DownTrackCount() != 0 || c.r.DownTrackCount() != 1 {
		t.Fatal("replace did not move the pending source")
	}
	f.tick(t, false, true, false)
	if f.d.Source() != a.r {
		t.Fatal("switched to the replaced target")
	}
	f.tick(t, false, false, true)
	if f.d.Source() != c.r {
		t.Fatal("did not switch to the new target")
	}
	f.w.reset()
	f.d.SwitchTo(nil)
	if f.d.Source() != nil || f.d.PendingSource() != nil || c.r.DownTrackCount() != 0 {
		t.Fatal("SwitchTo(nil) kept a source")
	}
	f.tick(t, true, true, true)
	if n := len(f.w.packets()); n != 0 {
		t.Fatalf("forwarded %d packets without a source", n)
	}
	if calls := f.sw.get(); len(calls) != 3 || calls[2] != [2]*Receiver{c.r, nil} {
		t.Errorf("OnSwitch calls %v", calls)
	}
	f.d.SwitchTo(f.layers[1].r)
	f.tick(t, false, true, false)
	out := f.w.packets()
	if len(out) != 2 || !isVP8Keyframe(out[0].Payload) {
		t.Fatalf("after nil: %d packets", len(out))
	}
	f.d.Close()
	if b.r.DownTrackCount() != 0 {
		t.Error("Close left the fan-out")
	}
}

func TestSlotAudioSwitch(t *testing.T) {
	clock := newFakeClock()
	alice := newLayer(t, clock, 0xA1, webrtc.RTPCodecTypeAudio, upOpus)
	bob := newLayer(t, clock, 0xB0, webrtc.RTPCodecTypeAudio, upOpus)
	w := &recordingWriter{}
	ctx := &fakeContext{codecs: downAudioCodecs, ssrc: downSSRC, writer: w,
		exts: []webrtc.RTPHeaderExtensionParameter{{URI: audioLevelURI, ID: 7}}}
	d := newSlot(t, DownTrackOptions{Kind: webrtc.RTPCodecTypeAudio}, ctx)
	if d.Stats().KeyframeWaits != 0 {
		t.Fatal("audio waits for keyframes")
	}
	send := func(l *layer, seq uint16, level int) {
		l.r.HandlePacket(pkt{seq: seq, ts: uint32(seq) * 960, pt: 111, ssrc: l.ssrc, payload: []byte{byte(l.ssrc)}, audioLevel: level}.build(t))
	}
	d.SwitchTo(alice.r)
	if alice.pliCount() != 0 {
		t.Error("keyframe requested for audio")
	}
	send(alice, 10, 0x85)
	send(alice, 11, 0x85)
	clock.Advance(20 * time.Millisecond)
	d.SwitchTo(bob.r)
	send(alice, 12, 0x85) // still alice
	clock.Advance(40 * time.Millisecond)
	send(bob, 500, 0x10) // switches
	send(alice, 13, 0x85)
	send(bob, 501, 0x10)
	out := w.packets()
	if len(out) != 5 {
		t.Fatalf("forwarded %d, want 5", len(out))
	}
	for i, want := range []byte{0xA1, 0xA1, 0xA1, 0xB0, 0xB0} {
		if out[i].Payload[0] != want {
			t.Errorf("#%d from %x, want %x", i, out[i].Payload[0], want)
		}
		if i > 0 && out[i].SequenceNumber != out[i-1].SequenceNumber+1 {
			t.Errorf("#%d seq %d after %d", i, out[i].SequenceNumber, out[i-1].SequenceNumber)
		}
	}
	if gap := out[3].Timestamp - out[2].Timestamp; gap != 40*48 {
		t.Errorf("ts advanced %d over 40ms, want %d", gap, 40*48)
	}
	if lvl := out[3].GetExtension(7); !bytes.Equal(lvl, []byte{0x10}) {
		t.Errorf("audio level after the switch %x", lvl)
	}
	if alice.r.DownTrackCount() != 0 {
		t.Error("old audio source still feeds the slot")
	}
}

func TestSlotNACKAcrossSwitch(t *testing.T) {
	defer test.CheckRoutines(t)()
	for _, useRTX := range []bool{true, false} {
		t.Run(map[bool]string{true: "rtx", false: "plain"}[useRTX], func(t *testing.T) {
			f := newSimulcastFixture(t)
			f.d = newSlot(t, DownTrackOptions{}, videoContext(f.w, useRTX))
			a, c := f.layers[0], f.layers[2]
			f.d.SwitchTo(a.r)
			for range 4 {
				f.tick(t)
			}
			f.d.SwitchTo(c.r)
			f.tick(t, false, false, true)
			f.tick(t)
			orig := f.w.packets()
			if len(orig) != 14 { // 4+1 frames of a, 2 of c
				t.Fatalf("forwarded %d, want 14", len(orig))
			}
			f.w.reset()
			rtcpIn := startRTCP(f.d)
			defer rtcpIn.stop(t)
			// One NACK for the last two packets of a and the first of c.
			first := orig[8].SequenceNumber
			rtcpIn.send(&rtcp.TransportLayerNack{MediaSSRC: downSSRC, Nacks: []rtcp.NackPair{{PacketID: first, LostPackets: 0b11}}})
			got := f.w.packets()
			if len(got) != 3 {
				t.Fatalf("retransmitted %d, want 3 (stats %+v)", len(got), f.d.Stats())
			}
			for i, g := range got {
				want := orig[8+i]
				payload, seq := g.Payload, g.SequenceNumber
				if useRTX {
					if g.SSRC != downRTXSSRC || g.PayloadType != 121 {
						t.Errorf("#%d: rtx %x/%d", i, g.SSRC, g.PayloadType)
					}
					seq, payload = binary.BigEndian.Uint16(payload), payload[2:]
				}
				if seq != want.SequenceNumber || g.Timestamp != want.Timestamp || !bytes.Equal(payload, want.Payload) {
					t.Errorf("#%d: %d/%d %x, want %d/%d %x", i, seq, g.Timestamp, payload, want.SequenceNumber, want.Timestamp, want.Payload)
				}
			}
			if st := f.d.Stats(); st.Retransmits != 3 || st.NACKMisses != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

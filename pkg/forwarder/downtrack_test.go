package forwarder

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/transport/v4/test"
	"github.com/pion/webrtc/v4"
)

func TestDownTrackRewritesAndWaitsForKeyframe(t *testing.T) {
	f := newFixture(t, upVP8, webrtc.RTPCodecTypeVideo)
	w := &recordingWriter{}
	d := f.bound(t, videoContext(w, false))
	if got := f.pliCount(); got != 1 {
		t.Fatalf("keyframe requests after Bind = %d, want 1", got)
	}
	if d.SSRC() != downSSRC {
		t.Fatalf("SSRC() = %x", d.SSRC())
	}

	in := []pkt{
		vp8(1000, 90000, false), // delta before any keyframe: dropped
		vp8(1001, 93000, true),  // keyframe: forwarding starts
		vp8(1002, 93000, false),
		vp8(1005, 96000, false), // upstream loss of 1003-1004 is kept
	}
	in[2].marker = true
	for _, p := range in {
		f.r.HandlePacket(p.build(t))
	}

	out := w.packets()
	if len(out) != 3 {
		t.Fatalf("forwarded %d packets, want 3", len(out))
	}
	base := out[0]
	for i, o := range out {
		src := in[i+1]
		if o.SSRC != downSSRC || o.PayloadType != 120 {
			t.Errorf("packet %d: ssrc %x pt %d, want %x/120", i, o.SSRC, o.PayloadType, downSSRC)
		}
		if o.SequenceNumber-base.SequenceNumber != src.seq-1001 {
			t.Errorf("packet %d: seq %d, want base+%d", i, o.SequenceNumber, src.seq-1001)
		}
		if o.Timestamp-base.Timestamp != src.ts-93000 {
			t.Errorf("packet %d: ts %d, want base+%d", i, o.Timestamp, src.ts-93000)
		}
		if o.Marker != src.marker || !bytes.Equal(o.Payload, src.payload) {
			t.Errorf("packet %d: marker/payload differ", i)
		}
	}
	st := d.Stats()
	if st.Packets != 3 || st.Dropped != 1 || st.KeyframeWaits != 1 || st.Bytes == 0 {
		t.Errorf("stats = %+v", st)
	}
	if rs := f.r.Stats(); rs.Packets != 4 || rs.Keyframes != 1 {
		t.Errorf("receiver stats = %+v", rs)
	}
}

func TestDownTrackRequestsKeyframeWhileWaiting(t *testing.T) {
	f := newFixture(t, upVP8, webrtc.RTPCodecTypeVideo)
	f.bound(t, videoContext(&recordingWriter{}, false))
	for i := range 10 { // 10 deltas within the throttle window: no new request
		f.r.HandlePacket(vp8(uint16(i), 0, false).build(t))
	}
	if got := f.pliCount(); got != 1 {
		t.Fatalf("requests = %d, want 1 (throttled)", got)
	}
	f.clock.Advance(500 * time.Millisecond)
	f.r.HandlePacket(vp8(10, 0, false).build(t))
	if got := f.pliCount(); got != 2 {
		t.Fatalf("requests after the throttle = %d, want 2", got)
	}
	f.r.HandlePacket(vp8(11, 0, true).build(t))
	f.clock.Advance(time.Second)
	f.r.HandlePacket(vp8(12, 0, false).build(t))
	if got := f.pliCount(); got != 2 {
		t.Fatalf("requests after the keyframe = %d, want 2", got)
	}
}

func TestDownTrackAudioLevelRemap(t *testing.T) {
	for _, tc := range []struct {
		name      string
		subExtID  int // 0: subscriber did not negotiate audio level
		level     int // -1: publisher packet has none
		wantExtID uint8
	}{
		{"remapped to subscriber id", 5, 0x9f, 5},
		{"two-byte id", 20, 0x10, 20},
		{"subscriber lacks it", 0, 0x9f, 0},
		{"packet lacks it", 5, -1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, upOpus, webrtc.RTPCodecTypeAudio)
			w := &recordingWriter{}
			ctx := &fakeContext{codecs: downAudioCodecs, ssrc: downSSRC, writer: w}
			ctx.exts = []webrtc.RTPHeaderExtensionParameter{{URI: "urn:ietf:params:rtp-hdrext:sdes:mid", ID: 1}}
			if tc.subExtID != 0 {
				ctx.exts = append(ctx.exts, webrtc.RTPHeaderExtensionParameter{URI: audioLevelURI, ID: tc.subExtID})
			}
			d := f.bound(t, ctx)
			if f.pliCount() != 0 || d.Stats().KeyframeWaits != 0 {
				t.Fatal("audio track waits for a keyframe")
			}
			f.r.HandlePacket(pkt{seq: 1, ts: 960, pt: 111, payload: opusPayload, audioLevel: tc.level, otherExt: true}.build(t))
			out := w.packets()
			if len(out) != 1 {
				t.Fatalf("forwarded %d packets", len(out))
			}
			o := out[0]
			if o.PayloadType != 109 || !bytes.Equal(o.Payload, opusPayload) {
				t.Errorf("pt %d payload %x", o.PayloadType, o.Payload)
			}
			ids := o.GetExtensionIDs()
			if tc.wantExtID == 0 {
				if o.Extension || len(ids) != 0 {
					t.Errorf("extensions %v forwarded, want none", ids)
				}
				return
			}
			if len(ids) != 1 || ids[0] != tc.wantExtID {
				t.Fatalf("extension ids %v, want [%d]", ids, tc.wantExtID)
			}
			if got := o.GetExtension(tc.wantExtID); !bytes.Equal(got, []byte{byte(tc.level)}) {
				t.Errorf("audio level %x, want %x", got, tc.level)
			}
		})
	}
}

func TestDownTrackDropsWhenNotForwarding(t *testing.T) {
	f := newFixture(t, upOpus, webrtc.RTPCodecTypeAudio)
	w := &recordingWriter{}
	d, err := NewDownTrack(DownTrackOptions{ID: "a", Receiver: f.r})
	if err != nil {
		t.Fatal(err)
	}
	f.r.AddDownTrack(d)
	send := func(seq uint16) {
		f.r.HandlePacket(pkt{seq: seq, pt: 111, payload: opusPayload, audioLevel: -1}.build(t))
	}
	send(1) // before Bind
	ctx := &fakeContext{codecs: downAudioCodecs, ssrc: downSSRC, writer: w}
	if _, err := d.Bind(ctx); err != nil {
		t.Fatal(err)
	}
	send(2)
	if err := d.Unbind(ctx); err != nil {
		t.Fatal(err)
	}
	send(3) // after Unbind
	if _, err := d.Bind(ctx); err != nil {
		t.Fatal(err)
	}
	send(4)
	d.Close()
	d.Close()
	send(5) // after Close
	if got := len(w.packets()); got != 2 {
		t.Errorf("forwarded %d packets, want 2 (seq 2 and 4)", got)
	}
	if st := d.Stats(); st.Dropped != 0 || st.Packets != 2 {
		t.Errorf("stats %+v: silent drops must not count", st)
	}
}

func TestDownTrackPauseResume(t *testing.T) {
	f := newFixture(t, upVP8, webrtc.RTPCodecTypeVideo)
	w := &recordingWriter{}
	d := f.bound(t, videoContext(w, false))
	f.r.HandlePacket(vp8(10, 1000, true).build(t))
	f.r.HandlePacket(vp8(11, 4000, false).build(t))
	d.SetPaused(true)
	for i := range uint16(5) {
		f.r.HandlePacket(vp8(12+i, 7000+uint32(i)*3000, false).build(t))
	}
	f.clock.Advance(2 * time.Second)
	d.SetPaused(false)
	f.r.HandlePacket(vp8(17, 22000, false).build(t)) // resumed: waits for a keyframe
	f.r.HandlePacket(vp8(18, 25000, true).build(t))

	out := w.packets()
	if len(out) != 3 {
		t.Fatalf("forwarded %d packets, want 3", len(out))
	}
	if out[2].SequenceNumber != out[1].SequenceNumber+1 {
		t.Errorf("seq after resume %d, want %d", out[2].SequenceNumber, out[1].SequenceNumber+1)
	}
	if gap := out[2].Timestamp - out[1].Timestamp; gap != 2*90000 {
		t.Errorf("ts advanced by %d after 2s, want %d", gap, 2*90000)
	}
	st := d.Stats()
	if st.KeyframeWaits != 2 || st.Dropped != 6 {
		t.Errorf("stats %+v", st)
	}
}

func TestDownTrackWriteErrorsCounted(t *testing.T) {
	f := newFixture(t, upOpus, webrtc.RTPCodecTypeAudio)
	w := &recordingWriter{err: errors.New("udp: buffer full")}
	d := f.bound(t, &fakeContext{codecs: downAudioCodecs, ssrc: downSSRC, writer: w})
	f.r.HandlePacket(pkt{seq: 1, pt: 111, payload: opusPayload, audioLevel: -1}.build(t))
	if st := d.Stats(); st.WriteErrors != 1 || st.Packets != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestDownTrackBind(t *testing.T) {
	f := newFixture(t, upVP8, webrtc.RTPCodecTypeVideo)
	if _, err := NewDownTrack(DownTrackOptions{ID: "x"}); !errors.Is(err, ErrNoReceiver) {
		t.Errorf("no receiver: %v", err)
	}
	if _, err := NewDownTrack(DownTrackOptions{Receiver: f.r}); !errors.Is(err, ErrNoID) {
		t.Errorf("no id: %v", err)
	}
	d, _ := NewDownTrack(DownTrackOptions{ID: "v", StreamID: "s", Receiver: f.r})
	if d.ID() != "v" || d.StreamID() != "s" || d.RID() != "" || d.Kind() != webrtc.RTPCodecTypeVideo {
		t.Error("TrackLocal identity")
	}
	if _, err := d.Bind(&fakeContext{codecs: downAudioCodecs, writer: &recordingWriter{}}); !errors.Is(err, ErrCodecNotNegotiated) {
		t.Errorf("bind without VP8: %v", err)
	}
	if _, err := d.Bind(&fakeContext{codecs: downVideoCodecs}); !errors.Is(err, ErrNoWriteStream) {
		t.Errorf("bind without writer: %v", err)
	}
	c, err := d.Bind(videoContext(&recordingWriter{}, true))
	if err != nil || c.PayloadType != 120 {
		t.Fatalf("bind: %v %v", c.PayloadType, err)
	}
	if b := d.bound.Load(); b.rtxSSRC != downRTXSSRC || b.rtxPayloadType != 121 {
		t.Errorf("rtx %x/%d", b.rtxSSRC, b.rtxPayloadType)
	}
	// RTX SSRC without an RTX codec for our PT: no RTX.
	ctx := videoContext(&recordingWriter{}, true)
	ctx.codecs = downVideoCodecs[:1]
	if _, err := d.Bind(ctx); err != nil {
		t.Fatal(err)
	}
	if b := d.bound.Load(); b.rtxSSRC != 0 {
		t.Errorf("rtx enabled without an rtx codec")
	}

	// H264: the profile matching the publisher's fmtp wins.
	h264 := func(pt webrtc.PayloadType, fmtp string) webrtc.RTPCodecParameters {
		return webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: fmtp}, PayloadType: pt}
	}
	up := h264(102, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")
	r := NewReceiver(ReceiverOptions{Kind: webrtc.RTPCodecTypeVideo, Codec: up})
	dh, _ := NewDownTrack(DownTrackOptions{ID: "h", Receiver: r})
	c, err = dh.Bind(&fakeContext{writer: &recordingWriter{}, codecs: []webrtc.RTPCodecParameters{
		h264(100, "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f"),
		h264(104, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"),
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, SDPFmtpLine: "apt=104;rtx-time=3000"}, PayloadType: 105},
	}, rtx: downRTXSSRC})
	if err != nil || c.PayloadType != 104 {
		t.Fatalf("h264 bind picked %d (%v), want 104", c.PayloadType, err)
	}
	if b := dh.bound.Load(); b.rtxPayloadType != 105 {
		t.Errorf("rtx pt %d, want 105 (apt among other fmtp params)", b.rtxPayloadType)
	}
}

// forwardN forwards a keyframe then n-1 deltas starting at upstream seq 500 and
// returns what the subscriber received.
func forwardN(t *testing.T, f *fixture, w *recordingWriter, n int) []sent {
	t.Helper()
	for i := range n {
		p := vp8(uint16(500+i), uint32(3000*i), i == 0)
		p.payload = append(append([]byte(nil), p.payload...), byte(i))
		f.r.HandlePacket(p.build(t))
	}
	out := w.packets()
	if len(out) != n {
		t.Fatalf("forwarded %d, want %d", len(out), n)
	}
	w.reset()
	return out
}

func TestDownTrackNACK(t *testing.T) {
	defer test.CheckRoutines(t)()
	for _, useRTX := range []bool{true, false} {
		name := map[bool]string{true: "rtx", false: "plain"}[useRTX]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, upVP8, webrtc.RTPCodecTypeVideo)
			w := &recordingWriter{}
			d := f.bound(t, videoContext(w, useRTX))
			orig := forwardN(t, f, w, 10)
			rtcpIn := startRTCP(d)
			defer rtcpIn.stop(t)

			// Packets 3 and 5 lost: PacketID 3, bitmask bit 1 (= 3+2).
			lost := []sent{orig[3], orig[5]}
			nack := &rtcp.TransportLayerNack{MediaSSRC: downSSRC, Nacks: []rtcp.NackPair{{PacketID: orig[3].SequenceNumber, LostPackets: 0b10}}}
			rtcpIn.send(nack)
			got := w.packets()
			if len(got) != 2 {
				t.Fatalf("retransmitted %d packets, want 2", len(got))
			}
			for i, g := range got {
				want := lost[i]
				if g.Timestamp != want.Timestamp || g.Marker != want.Marker {
					t.Errorf("#%d: ts/marker %d/%v, want %d/%v", i, g.Timestamp, g.Marker, want.Timestamp, want.Marker)
				}
				if useRTX {
					if g.SSRC != downRTXSSRC || g.PayloadType != 121 {
						t.Errorf("#%d: rtx ssrc/pt %x/%d", i, g.SSRC, g.PayloadType)
					}
					if osn := binary.BigEndian.Uint16(g.Payload); osn != want.SequenceNumber {
						t.Errorf("#%d: OSN %d, want %d", i, osn, want.SequenceNumber)
					}
					if !bytes.Equal(g.Payload[2:], want.Payload) {
						t.Errorf("#%d: rtx payload differs", i)
					}
					if i > 0 && g.SequenceNumber != got[i-1].SequenceNumber+1 {
						t.Errorf("rtx seq not contiguous: %d after %d", g.SequenceNumber, got[i-1].SequenceNumber)
					}
				} else {
					if g.SSRC != downSSRC || g.PayloadType != 120 || g.SequenceNumber != want.SequenceNumber {
						t.Errorf("#%d: %x/%d/%d", i, g.SSRC, g.PayloadType, g.SequenceNumber)
					}
					if !bytes.Equal(g.Payload, want.Payload) {
						t.Errorf("#%d: payload differs", i)
					}
				}
			}

			// Repeated within 100 ms: suppressed. After 100 ms: sent again.
			w.reset()
			rtcpIn.send(nack)
			if n := len(w.packets()); n != 0 {
				t.Errorf("repeat NACK within 100ms re-sent %d packets", n)
			}
			f.clock.Advance(100 * time.Millisecond)
			rtcpIn.send(nack)
			if n := len(w.packets()); n != 2 {
				t.Errorf("NACK after 100ms re-sent %d packets, want 2", n)
			}

			// Unsent numbers, other SSRCs and unrelated RTCP are ignored.
			w.reset()
			rtcpIn.send(
				&rtcp.TransportLayerNack{MediaSSRC: downSSRC, Nacks: []rtcp.NackPair{{PacketID: orig[9].SequenceNumber + 1}}},
				&rtcp.TransportLayerNack{MediaSSRC: 0xdead, Nacks: []rtcp.NackPair{{PacketID: orig[1].SequenceNumber}}},
				&rtcp.ReceiverReport{SSRC: 1},
			)
			if n := len(w.packets()); n != 0 {
				t.Errorf("re-sent %d packets for unknown requests", n)
			}
			st := d.Stats()
			if st.Retransmits != 4 || st.NACKs != 7 || st.NACKMisses != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// budget lets through the retransmissions it has room for.
type budget struct {
	mu    sync.Mutex
	left  int // packets
	sizes []int
}

func (b *budget) AllowRetransmit(size int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sizes = append(b.sizes, size)
	if b.left == 0 {
		return false
	}
	b.left--
	return true
}

func (b *budget) give(n int) {
	b.mu.Lock()
	b.left += n
	b.mu.Unlock()
}

func TestDownTrackNACKBudget(t *testing.T) {
	defer test.CheckRoutines(t)()
	f := newFixture(t, upVP8, webrtc.RTPCodecTypeVideo)
	w := &recordingWriter{}
	lim := &budget{left: 1}
	d := f.boundWith(t, videoContext(w, true), DownTrackOptions{Retransmits: lim})
	orig := forwardN(t, f, w, 10)
	rtcpIn := startRTCP(d)
	defer rtcpIn.stop(t)

	// Three lost, room for one: the first goes out, the others wait.
	nack := &rtcp.TransportLayerNack{MediaSSRC: downSSRC, Nacks: []rtcp.NackPair{{PacketID: orig[2].SequenceNumber, LostPackets: 0b11}}}
	rtcpIn.send(nack)
	first := w.packets()
	if len(first) != 1 || binary.BigEndian.Uint16(first[0].Payload) != orig[2].SequenceNumber {
		t.Fatalf("with room for one retransmission: sent %d", len(first))
	}
	st := d.Stats()
	if st.Retransmits != 1 || st.RetransmitsDenied != 2 {
		t.Fatalf("stats %+v", st)
	}
	lim.mu.Lock()
	for i, size := range lim.sizes {
		// The limiter sees the whole RTX packet: header, OSN, payload.
		if want := 12 + 2 + len(orig[2+i].Payload); size < want {
			t.Errorf("retransmission %d asked for %d bytes, want at least %d", i, size, want)
		}
	}
	lim.mu.Unlock()

	// The subscriber asks again at once: refused packets were not marked
	// sent, and the RTX sequence has no gap where they were refused.
	w.reset()
	lim.give(2)
	rtcpIn.send(nack)
	again := w.packets()
	if len(again) != 2 {
		t.Fatalf("second NACK re-sent %d packets, want the 2 refused before", len(again))
	}
	for i, g := range again {
		if osn := binary.BigEndian.Uint16(g.Payload); osn != orig[3+i].SequenceNumber {
			t.Errorf("#%d: OSN %d, want %d", i, osn, orig[3+i].SequenceNumber)
		}
		if g.SequenceNumber != first[0].SequenceNumber+uint16(i)+1 {
			t.Errorf("#%d: RTX seq %d after %d: gap", i, g.SequenceNumber, first[0].SequenceNumber)
		}
	}
}

func TestDownTrackNACKAfterEviction(t *testing.T) {
	defer test.CheckRoutines(t)()
	f := newFixture(t, upVP8, webrtc.RTPCodecTypeVideo) // 64-packet cache
	w := &recordingWriter{}
	d := f.bound(t, videoContext(w, true))
	orig := forwardN(t, f, w, 100)
	rtcpIn := startRTCP(d)
	defer rtcpIn.stop(t)
	rtcpIn.send(&rtcp.TransportLayerNack{MediaSSRC: downSSRC, Nacks: []rtcp.NackPair{{PacketID: orig[10].SequenceNumber}}})
	if n := len(w.packets()); n != 0 || d.Stats().NACKMisses != 1 {
		t.Errorf("evicted packet re-sent (%d) or not counted (%+v)", n, d.Stats())
	}
}

func TestDownTrackPLIThrottled(t *testing.T) {
	defer test.CheckRoutines(t)()
	f := newFixture(t, upVP8, webrtc.RTPCodecTypeVideo)
	d := f.bound(t, videoContext(&recordingWriter{}, false)) // Bind: request #1
	rtcpIn := startRTCP(d)
	defer rtcpIn.stop(t)

	f.clock.Advance(500 * time.Millisecond)
	rtcpIn.send(&rtcp.PictureLossIndication{MediaSSRC: downSSRC})
	rtcpIn.send(&rtcp.PictureLossIndication{MediaSSRC: downSSRC}, &rtcp.FullIntraRequest{FIR: []rtcp.FIREntry{{SSRC: downSSRC}}})
	f.clock.Advance(499 * time.Millisecond)
	rtcpIn.send(&rtcp.PictureLossIndication{MediaSSRC: downSSRC})
	if got := f.pliCount(); got != 2 {
		t.Fatalf("upstream requests = %d, want 2 (bind + one per throttle window)", got)
	}
	f.clock.Advance(time.Millisecond)
	rtcpIn.send(&rtcp.FullIntraRequest{MediaSSRC: downSSRC})
	rtcpIn.send(&rtcp.PictureLossIndication{MediaSSRC: 0xdead}) // not ours
	if got := f.pliCount(); got != 3 {
		t.Fatalf("upstream requests = %d, want 3", got)
	}
	f.mu.Lock()
	for _, ssrc := range *f.plis {
		if ssrc != upSSRC {
			t.Errorf("PLI for %x, want upstream %x", ssrc, upSSRC)
		}
	}
	f.mu.Unlock()
	if st := d.Stats(); st.PLIs != 5 {
		t.Errorf("PLIs = %d, want 5", st.PLIs)
	}
	if rs := f.r.Stats(); rs.KeyframeRequests != 3 {
		t.Errorf("KeyframeRequests = %d", rs.KeyframeRequests)
	}
}

// errorRTCP fails every read with err.
type errorRTCP struct {
	err   error
	reads int
}

func (e *errorRTCP) ReadRTCP() ([]rtcp.Packet, interceptorAttributes, error) {
	e.reads++
	return nil, nil, e.err
}

func TestRunRTCPErrors(t *testing.T) {
	f := newFixture(t, upVP8, webrtc.RTPCodecTypeVideo)
	d, _ := NewDownTrack(DownTrackOptions{ID: "v", Receiver: f.r})
	closed := &errorRTCP{err: errClosedForTest}
	if err := d.RunRTCP(closed); !errors.Is(err, errClosedForTest) || closed.reads != 1 {
		t.Errorf("closed source: %v after %d reads", err, closed.reads)
	}
	bad := &errorRTCP{err: errors.New("rtcp: packet too short")}
	if err := d.RunRTCP(bad); err == nil || bad.reads != maxRTCPErrors {
		t.Errorf("garbage source: %v after %d reads, want %d", err, bad.reads, maxRTCPErrors)
	}
}

func TestDownTrackRebind(t *testing.T) {
	f := newFixture(t, upOpus, webrtc.RTPCodecTypeAudio)
	w := &recordingWriter{}
	ctx := &fakeContext{codecs: downAudioCodecs, ssrc: downSSRC, writer: w}
	d := f.bound(t, ctx)
	send := func(seq uint16) {
		f.r.HandlePacket(pkt{seq: seq, ts: uint32(seq) * 960, pt: 111, payload: opusPayload, audioLevel: -1}.build(t))
	}
	send(1)
	send(2)
	// Renegotiated on the same SSRC (ReplaceTrack away and back): contiguous.
	_ = d.Unbind(ctx)
	send(3)
	if _, err := d.Bind(ctx); err != nil {
		t.Fatal(err)
	}
	send(4)
	// A new SSRC is a new stream: fresh random start.
	ctx2 := &fakeContext{codecs: downAudioCodecs, ssrc: downSSRC + 1, writer: w}
	if _, err := d.Bind(ctx2); err != nil {
		t.Fatal(err)
	}
	send(5)
	out := w.packets()
	if len(out) != 4 {
		t.Fatalf("forwarded %d packets, want 4", len(out))
	}
	if out[2].SequenceNumber != out[1].SequenceNumber+1 || out[2].SSRC != downSSRC {
		t.Errorf("same-SSRC rebind: seq %d after %d", out[2].SequenceNumber, out[1].SequenceNumber)
	}
	if out[3].SSRC != downSSRC+1 || out[3].PayloadType != 109 {
		t.Errorf("new binding: ssrc %x pt %d", out[3].SSRC, out[3].PayloadType)
	}
}

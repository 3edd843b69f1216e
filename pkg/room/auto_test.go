package room

import (
	"slices"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"

	"github.com/switchyard-sfu/switchyard/pkg/bwe"
	"github.com/switchyard-sfu/switchyard/pkg/cc"
	"github.com/switchyard-sfu/switchyard/pkg/forwarder"
)

// autoRoom is a room built by hand for replanAuto: a publisher with audio
// and two 3-layer videos (no packets yet: fresh layers count as active at
// their nominal rates) and an auto-mode receiver subscribed to all three.
type autoRoom struct {
	r    *Room
	rx   *Connection
	subs map[string]*subscription // by track id
}

func newAutoRoom(t *testing.T, now func() time.Time) *autoRoom {
	t.Helper()
	r := &Room{m: &Manager{o: ManagerOptions{Now: now}}, sources: map[uint32]*source{}, muted: map[muteKey]bool{}}
	pub := &Connection{participantID: "pub", room: r, log: zap.NewNop(), media: allMedia()}
	rx := &Connection{id: "rx", participantID: "rx", room: r, log: zap.NewNop(), media: allMedia(), subs: map[string]*subscription{}}
	a := &autoRoom{r: r, rx: rx, subs: map[string]*subscription{}}
	codec := func(kind TrackKind) webrtc.RTPCodecParameters {
		if kind == KindAudio {
			return webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000}}
		}
		return webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}}
	}
	add := func(id string, kind TrackKind, sourceID uint32, layers int) {
		pkind := webrtc.RTPCodecTypeVideo
		if kind == KindAudio {
			pkind = webrtc.RTPCodecTypeAudio
		}
		src := &source{info: TrackInfo{ID: id, Kind: kind, Content: ContentMain, SourceID: sourceID}, conn: pub, created: now()}
		for i := range layers {
			recv := forwarder.NewReceiver(forwarder.ReceiverOptions{Kind: pkind, SSRC: sourceID + uint32(i), Codec: codec(kind), Now: now})
			src.layers = append(src.layers, &layer{index: i, receiver: recv})
		}
		down, err := forwarder.NewDownTrack(forwarder.DownTrackOptions{ID: id, StreamID: "pub", Kind: pkind})
		if err != nil {
			t.Fatal(err)
		}
		s := &subscription{src: src, conn: rx, down: down, allocated: -1}
		if kind == KindVideo {
			s.prober = forwarder.NewProber(down)
		}
		r.sources[sourceID] = src
		rx.subs[id] = s
		a.subs[id] = s
		t.Cleanup(down.Close)
	}
	add("tr-audio", KindAudio, 1<<8, 1)
	add("tr-alice", KindVideo, 1<<8|1, 3)
	add("tr-bob", KindVideo, 2<<8|1, 3)
	return a
}

// withEstimate gives the receiver a congestion controller whose estimate
// is start (it sees no feedback here).
func (a *autoRoom) withEstimate(t *testing.T, start int, now func() time.Time) {
	t.Helper()
	ctl := cc.New(cc.Options{Estimator: bwe.EstimatorOptions{StartBitrate: start}, PacingFactor: -1, Now: now})
	t.Cleanup(ctl.Close)
	a.rx.cc = ctl
}

// bind binds every subscription's DownTrack as pion does once the node's
// offer is answered.
func (a *autoRoom) bind(t *testing.T) {
	t.Helper()
	for _, s := range a.subs {
		ctx := &fakeTrackContext{ssrc: webrtc.SSRC(s.src.info.SourceID), kind: s.down.Kind()}
		if _, err := s.down.Bind(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// fakeTrackContext is a negotiated sender for DownTrack.Bind; what is
// written to it is dropped.
type fakeTrackContext struct {
	ssrc webrtc.SSRC
	kind webrtc.RTPCodecType
}

func (f *fakeTrackContext) CodecParameters() []webrtc.RTPCodecParameters {
	if f.kind == webrtc.RTPCodecTypeAudio {
		return []webrtc.RTPCodecParameters{{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, PayloadType: 111}}
	}
	return []webrtc.RTPCodecParameters{{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}}
}
func (f *fakeTrackContext) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return nil }
func (f *fakeTrackContext) SSRC() webrtc.SSRC                                      { return f.ssrc }
func (f *fakeTrackContext) SSRCRetransmission() webrtc.SSRC                        { return 0 }
func (f *fakeTrackContext) SSRCForwardErrorCorrection() webrtc.SSRC                { return 0 }
func (f *fakeTrackContext) WriteStream() webrtc.TrackLocalWriter                   { return discardWriter{} }
func (f *fakeTrackContext) ID() string                                             { return "fake" }
func (f *fakeTrackContext) RTCPReader() interceptor.RTCPReader                     { return nil }

type discardWriter struct{}

func (discardWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	return h.MarshalSize() + len(payload), nil
}
func (discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// replan runs replanAuto and returns the layers needed per source.
func (a *autoRoom) replan() map[uint32][]int {
	needed := map[uint32][]int{}
	a.r.replanAuto(a.rx, a.r.m.o.Now(), needed)
	for _, ls := range needed {
		slices.Sort(ls)
	}
	return needed
}

// check asserts a video subscription's state: the layer it points at (-1:
// none) and whether it is paused, on the subscription and its DownTrack.
func (a *autoRoom) check(t *testing.T, id string, wantLayer int, wantPaused bool) {
	t.Helper()
	s := a.subs[id]
	var want *forwarder.Receiver
	if wantLayer >= 0 {
		want = s.src.layerReceiver(wantLayer)
	}
	if s.target != want || s.down.PendingSource() != want && s.down.Source() != want {
		t.Errorf("%s: forwards %p (DownTrack %p pending %p), want layer %d (%p)", id, s.target, s.down.Source(), s.down.PendingSource(), wantLayer, want)
	}
	if s.paused != wantPaused {
		t.Errorf("%s: paused %v, want %v", id, s.paused, wantPaused)
	}
}

// TestReplanAuto: replanAuto applies the allocation to an auto-mode
// connection's DownTracks: without a controller every video follows its
// top layer; with a small estimate the video that does not fit is paused
// and detached, counted in the congestion stats, and its layers are not
// needed; the probes go out on a video that forwards; a muted source is
// paused for that reason and costs nothing.
func TestReplanAuto(t *testing.T) {
	t0 := time.Unix(1000, 0)
	now := func() time.Time { return t0 }
	alice, bob := uint32(1<<8|1), uint32(2<<8|1)

	t.Run("no controller: top layers, as without congestion control", func(t *testing.T) {
		a := newAutoRoom(t, now)
		needed := a.replan()
		a.check(t, "tr-alice", 2, false)
		a.check(t, "tr-bob", 2, false)
		if !slices.Equal(needed[alice], []int{2}) || !slices.Equal(needed[bob], []int{2}) || !slices.Equal(needed[1<<8], []int{0}) {
			t.Errorf("needed %v", needed)
		}
		if a.rx.congestionStats() != nil || a.rx.ccPaused.Load() != 0 || a.rx.probeVia.Load() != nil {
			t.Errorf("congestion state without a controller")
		}
	})

	t.Run("400 kbit/s: audio, alice's base layer; bob paused", func(t *testing.T) {
		a := newAutoRoom(t, now)
		a.withEstimate(t, 400_000, now)
		needed := a.replan()
		a.check(t, "tr-alice", 0, false)
		a.check(t, "tr-bob", -1, true)
		if !slices.Equal(needed[alice], []int{0}) || len(needed[bob]) != 0 || !slices.Equal(needed[1<<8], []int{0}) {
			t.Errorf("needed %v", needed)
		}
		st := a.rx.congestionStats()
		if st.PausedSlots != 1 || st.Allocated != audioSlotBitrate+150_000 || st.Wanted != 404_445 {
			t.Errorf("stats %+v, want 1 paused, %d allocated, 404445 wanted", st, audioSlotBitrate+150_000)
		}
		if a.rx.probeVia.Load() != nil {
			t.Errorf("probes on a DownTrack not negotiated yet")
		}
		a.bind(t)
		a.replan()
		if a.rx.probeVia.Load() != a.subs["tr-alice"].prober {
			t.Errorf("probes not sent on alice's video, the only one forwarding")
		}

		// Bob speaks: his video goes first and resumes (214 kbit/s fit
		// 90 % of the estimate); alice keeps her layer by hysteresis (364
		// kbit/s fit 110 %). The probes move to the speaker's video.
		a.r.speakerOrder = []uint32{2 << 8}
		a.replan()
		a.check(t, "tr-alice", 0, false)
		a.check(t, "tr-bob", 0, false)
		if a.rx.probeVia.Load() != a.subs["tr-bob"].prober || a.rx.ccPaused.Load() != 0 {
			t.Errorf("after the speaker change: probe via bob %v, paused %d", a.rx.probeVia.Load() == a.subs["tr-bob"].prober, a.rx.ccPaused.Load())
		}

		// The publisher's video muted: paused for that, detached, not
		// counted as bandwidth disabled, no layer needed.
		a.r.muted[muteKey{"pub", KindVideo, ContentMain}] = true
		needed = a.replan()
		a.check(t, "tr-alice", -1, true)
		a.check(t, "tr-bob", -1, true)
		if a.rx.ccPaused.Load() != 0 || len(needed[alice]) != 0 || len(needed[bob]) != 0 || a.rx.probeVia.Load() != nil {
			t.Errorf("muted videos: paused %d, needed %v, probe via %p", a.rx.ccPaused.Load(), needed, a.rx.probeVia.Load())
		}
	})

	t.Run("100 kbit/s: nothing fits, one picture keeps moving", func(t *testing.T) {
		a := newAutoRoom(t, now)
		a.withEstimate(t, 100_000, now)
		needed := a.replan()
		a.check(t, "tr-alice", 0, false)
		a.check(t, "tr-bob", -1, true)
		if !slices.Equal(needed[alice], []int{0}) || len(needed[bob]) != 0 || a.rx.ccPaused.Load() != 1 {
			t.Errorf("needed %v, paused %d", needed, a.rx.ccPaused.Load())
		}
	})
}

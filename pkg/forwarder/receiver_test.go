package forwarder

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/transport/v4/test"
	"github.com/pion/webrtc/v4"
)

func TestReceiverDefaults(t *testing.T) {
	v := NewReceiver(ReceiverOptions{Kind: webrtc.RTPCodecTypeVideo, Codec: upVP8})
	a := NewReceiver(ReceiverOptions{Kind: webrtc.RTPCodecTypeAudio, Codec: upOpus})
	if v.cache.size() != 1024 || a.cache.size() != 128 {
		t.Errorf("cache sizes %d/%d", v.cache.size(), a.cache.size())
	}
	if v.opts.KeyframeThrottle != defaultKeyframeThrottle || v.Kind() != webrtc.RTPCodecTypeVideo || v.Codec().PayloadType != 96 {
		t.Error("defaults")
	}
	v.RequestKeyframe() // nil callback is fine
	if v.Stats().KeyframeRequests != 1 {
		t.Error("request not counted")
	}
}

func TestReceiverDropsGarbage(t *testing.T) {
	f := newFixture(t, upOpus, webrtc.RTPCodecTypeAudio)
	w := &recordingWriter{}
	d := f.bound(t, &fakeContext{codecs: downAudioCodecs, ssrc: downSSRC, writer: w})
	garbage := [][]byte{
		nil,
		{0x80},
		{0x80, 111, 0, 1, 0, 0, 0, 0, 0x11, 0x11, 0x11},             // short header
		{0x00, 111, 0, 1, 0, 0, 0, 0, 0x11, 0x11, 0x11, 0x11, 1},    // version 0
		{0xc0, 111, 0, 1, 0, 0, 0, 0, 0x11, 0x11, 0x11, 0x11, 1},    // version 3
		{0xa0, 111, 0, 1, 0, 0, 0, 0, 0x11, 0x11, 0x11, 0x11, 9, 0}, // zero padding length
		{0xa0, 111, 0, 1, 0, 0, 0, 0, 0x11, 0x11, 0x11, 0x11, 0xff}, // padding past the header
		{0x9f, 111, 0, 1, 0, 0, 0, 0, 0x11, 0x11, 0x11, 0x11, 0xbe, 0xde, 0xff, 0xff},
	}
	for _, g := range garbage {
		f.r.HandlePacket(g)
	}
	f.r.HandlePacket(pkt{seq: 1, pt: 100, payload: opusPayload, audioLevel: -1}.build(t))              // wrong PT
	f.r.HandlePacket(pkt{seq: 1, pt: 111, ssrc: 0xbad, payload: opusPayload, audioLevel: -1}.build(t)) // wrong SSRC
	f.r.HandlePacket(pkt{seq: 1, pt: 111, payload: opusPayload, audioLevel: -1}.build(t))
	st := f.r.Stats()
	if st.Malformed != uint64(len(garbage)) || st.Mismatched != 2 || st.Packets != 1 {
		t.Errorf("receiver stats %+v", st)
	}
	if n := len(w.packets()); n != 1 || d.Stats().Packets != 1 {
		t.Errorf("forwarded %d packets, want 1", n)
	}
}

func TestReceiverForwardsPaddingOnlyPackets(t *testing.T) {
	// Bandwidth probes keep their sequence number so the subscriber sees no gap.
	f := newFixture(t, upOpus, webrtc.RTPCodecTypeAudio)
	w := &recordingWriter{}
	f.bound(t, &fakeContext{codecs: downAudioCodecs, ssrc: downSSRC, writer: w})
	f.r.HandlePacket(pkt{seq: 1, pt: 111, payload: opusPayload, audioLevel: -1}.build(t))
	f.r.HandlePacket(pkt{seq: 2, pt: 111, audioLevel: -1, padding: 224}.build(t))
	f.r.HandlePacket(pkt{seq: 3, pt: 111, payload: opusPayload, audioLevel: -1}.build(t))
	out := w.packets()
	if len(out) != 3 || len(out[1].Payload) != 0 || out[2].SequenceNumber != out[0].SequenceNumber+2 {
		t.Fatalf("got %d packets: %+v", len(out), out)
	}
}

func TestReceiverCountsKeyframesOncePerFrame(t *testing.T) {
	h264 := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000}, PayloadType: 102}
	f := newFixture(t, h264, webrtc.RTPCodecTypeVideo)
	for i, payload := range [][]byte{
		stapA(h264SPS, h264PPS), {0x7c, 0x85, 1}, {0x7c, 0x05, 2}, {0x7c, 0x45, 3}, // keyframe at ts 0
		{0x41, 0x9a}, // delta at ts 3000
		{0x65, 0x88}, // IDR at ts 6000
	} {
		ts := []uint32{0, 0, 0, 0, 3000, 6000}[i]
		f.r.HandlePacket(pkt{seq: uint16(i), ts: ts, pt: 102, payload: payload, audioLevel: -1}.build(t))
	}
	if st := f.r.Stats(); st.Keyframes != 2 || st.Packets != 6 {
		t.Errorf("stats %+v", st)
	}
}

func TestReceiverDownTrackSet(t *testing.T) {
	f := newFixture(t, upOpus, webrtc.RTPCodecTypeAudio)
	d1, _ := NewDownTrack(DownTrackOptions{ID: "1", Receiver: f.r})
	d2, _ := NewDownTrack(DownTrackOptions{ID: "2", Receiver: f.r})
	f.r.AddDownTrack(d1)
	f.r.AddDownTrack(d1)
	f.r.AddDownTrack(d2)
	f.r.AddDownTrack(nil)
	if n := f.r.DownTrackCount(); n != 2 {
		t.Fatalf("count %d, want 2", n)
	}
	f.r.RemoveDownTrack(d1)
	f.r.RemoveDownTrack(d1)
	if n := f.r.DownTrackCount(); n != 1 {
		t.Fatalf("count %d, want 1", n)
	}
	f.r.Close()
	f.r.Close()
	f.r.AddDownTrack(d1)
	if n := f.r.DownTrackCount(); n != 0 {
		t.Fatalf("count after Close %d, want 0", n)
	}
}

// chanSource is a ReadLoop source fed from a channel.
type chanSource struct {
	pkts chan []byte
	errs []error // returned with data, one per packet, when non-nil
}

func (s *chanSource) Read(b []byte) (int, interceptor.Attributes, error) {
	p, ok := <-s.pkts
	if !ok {
		return 0, nil, io.EOF
	}
	var err error
	if len(s.errs) > 0 {
		err, s.errs = s.errs[0], s.errs[1:]
	}
	return copy(b, p), nil, err
}

func TestReadLoop(t *testing.T) {
	defer test.CheckRoutines(t)()
	f := newFixture(t, upOpus, webrtc.RTPCodecTypeAudio)
	w := &recordingWriter{}
	f.bound(t, &fakeContext{codecs: downAudioCodecs, ssrc: downSSRC, writer: w})
	src := &chanSource{pkts: make(chan []byte, 4), errs: []error{nil, errors.New("codec not found for pt 99")}}
	done := make(chan error, 1)
	go func() { done <- f.r.ReadLoop(src) }()
	src.pkts <- pkt{seq: 1, pt: 111, payload: opusPayload, audioLevel: -1}.build(t)
	src.pkts <- pkt{seq: 2, pt: 99, payload: opusPayload, audioLevel: -1}.build(t)
	src.pkts <- pkt{seq: 3, pt: 111, payload: opusPayload, audioLevel: -1}.build(t)
	close(src.pkts)
	if err := <-done; !errors.Is(err, io.EOF) {
		t.Fatalf("ReadLoop returned %v, want io.EOF", err)
	}
	if n := len(w.packets()); n != 2 {
		t.Errorf("forwarded %d, want 2", n)
	}
	if st := f.r.Stats(); st.Mismatched != 1 || st.Packets != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestConcurrentControlPlane forwards packets on one goroutine while others
// add, remove, bind, pause, close DownTracks and answer RTCP. Run with -race.
func TestConcurrentControlPlane(t *testing.T) {
	defer test.CheckRoutines(t)()
	f := newFixture(t, upVP8, webrtc.RTPCodecTypeVideo)
	const workers = 4
	var stop atomic.Bool
	var readerWG, workersWG sync.WaitGroup

	raws := make([][]byte, 64)
	for i := range raws {
		raws[i] = vp8(uint16(i), uint32(i/4)*3000, i%16 == 0).build(t)
	}
	readerWG.Add(1)
	go func() { // the read goroutine
		defer readerWG.Done()
		buf := make([]byte, slotSize)
		for i := 0; !stop.Load(); i++ {
			raw := raws[i%len(raws)]
			n := copy(buf, raw)
			buf[2], buf[3] = byte(i>>8), byte(i) // keep sequence numbers moving
			f.r.HandlePacket(buf[:n])
		}
	}()
	for wk := range workers {
		workersWG.Add(1)
		go func() { // control plane + RTCP of one subscriber
			defer workersWG.Done()
			for round := 0; round < 200; round++ {
				w := &recordingWriter{}
				d, err := NewDownTrack(DownTrackOptions{ID: "v", Receiver: f.r})
				if err != nil {
					t.Error(err)
					return
				}
				ctx := videoContext(w, wk%2 == 0)
				f.r.AddDownTrack(d)
				if _, err := d.Bind(ctx); err != nil {
					t.Error(err)
					return
				}
				d.SetPaused(round%3 == 0)
				d.SetPaused(false)
				d.handleRTCP(nil)
				for s := range uint16(8) {
					d.retransmit(d.bound.Load(), s, f.clock.Now())
				}
				_ = d.Stats()
				_ = f.r.Stats()
				_ = f.r.DownTrackCount()
				_ = d.Unbind(ctx)
				d.Close()
				f.r.RemoveDownTrack(d)
			}
		}()
	}
	// The control-plane workers finish on their own; then stop the reader.
	workersWG.Wait()
	stop.Store(true)
	readerWG.Wait()
	if f.r.Stats().Packets == 0 {
		t.Error("no packets forwarded")
	}
}

func TestReceiverDropsOversizedPackets(t *testing.T) {
	f := newFixture(t, upOpus, webrtc.RTPCodecTypeAudio)
	w := &recordingWriter{}
	f.bound(t, &fakeContext{codecs: downAudioCodecs, ssrc: downSSRC, writer: w})
	f.r.HandlePacket(pkt{seq: 1, pt: 111, payload: make([]byte, slotSize), audioLevel: -1}.build(t))
	if st := f.r.Stats(); st.Malformed != 1 || len(w.packets()) != 0 {
		t.Errorf("oversized packet: %+v", st)
	}
}

func TestReceiverDropsDuplicates(t *testing.T) {
	// A publisher answering one NACK twice (or an RTX repair of a packet that
	// did arrive) must reach each subscriber once.
	f := newFixture(t, upOpus, webrtc.RTPCodecTypeAudio)
	w := &recordingWriter{}
	f.bound(t, &fakeContext{codecs: downAudioCodecs, ssrc: downSSRC, writer: w})
	for _, seq := range []uint16{1, 2, 2, 4, 3, 3, 2, 5} {
		f.r.HandlePacket(pkt{seq: seq, pt: 111, payload: opusPayload, audioLevel: -1}.build(t))
	}
	out := w.packets()
	if len(out) != 5 {
		t.Fatalf("forwarded %d packets, want 5", len(out))
	}
	if st := f.r.Stats(); st.Duplicates != 3 || st.Packets != 5 {
		t.Errorf("stats %+v", st)
	}
}

package cc

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/transport/v4/test"

	"github.com/switchyard-sfu/switchyard/pkg/bwe"
)

// pacedSink records what leaves the pacer.
type pacedSink struct {
	mu   sync.Mutex
	pkts []rtp.Header
	at   []time.Time
}

func (s *pacedSink) writer() interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		c := *h
		c.Extensions = append([]rtp.Extension(nil), h.Extensions...)
		s.pkts = append(s.pkts, c)
		s.at = append(s.at, time.Now())
		return h.MarshalSize() + len(payload), nil
	})
}

func (s *pacedSink) snapshot() ([]rtp.Header, []time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]rtp.Header(nil), s.pkts...), append([]time.Time(nil), s.at...)
}

func bindPaced(t *testing.T, c *Controller, mime string, ssrc uint32, sink *pacedSink) interceptor.RTPWriter {
	t.Helper()
	it, err := c.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	info := &interceptor.StreamInfo{SSRC: ssrc, MimeType: mime, RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: twccID}}}
	return it.BindLocalStream(info, sink.writer())
}

func videoPacket(seq uint16, marker bool) (*rtp.Header, []byte) {
	h := &rtp.Header{Version: 2, SSRC: 1, PayloadType: 96, SequenceNumber: seq, Marker: marker}
	_ = h.SetExtension(twccID, []byte{byte(seq >> 8), byte(seq)})
	return h, make([]byte, 1000)
}

// TestPacerSpreadsBursts: a burst of video beyond the bucket is queued and
// leaves in order, at about the pacing rate; audio written meanwhile does
// not wait behind it; every packet is recorded when it leaves.
func TestPacerSpreadsBursts(t *testing.T) {
	defer test.CheckRoutines(t)()
	// 400 kbit/s estimate × 2.5: 125 kB/s, so 20 packets of ~1 kB take
	// about 160 ms.
	c := New(Options{Estimator: bwe.EstimatorOptions{StartBitrate: 400_000}})
	defer c.Close()
	video, audio := &pacedSink{}, &pacedSink{}
	wv := bindPaced(t, c, "video/VP8", 1, video)
	wa := bindPaced(t, c, "audio/opus", 2, audio)
	start := time.Now()
	for i := range 20 {
		h, p := videoPacket(uint16(i), i%5 == 4)
		if _, err := wv.Write(h, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	ah := &rtp.Header{Version: 2, SSRC: 2, PayloadType: 111, SequenceNumber: 7}
	_ = ah.SetExtension(twccID, []byte{0, 100})
	if _, err := wa.Write(ah, make([]byte, 100), nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := audio.snapshot(); len(got) != 1 {
		t.Fatal("audio waited behind queued video")
	}
	if got, _ := video.snapshot(); len(got) >= 20 {
		t.Fatal("a 20-packet burst left at once")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := video.snapshot()
		if len(got) == 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 20 paced packets left", len(got))
		}
		time.Sleep(5 * time.Millisecond)
	}
	got, at := video.snapshot()
	for i, h := range got {
		if h.SequenceNumber != uint16(i) || h.Marker != (i%5 == 4) || len(h.GetExtension(twccID)) != 2 {
			t.Fatalf("packet %d left as %+v", i, h)
		}
	}
	// At least the queued part took time: the bucket holds a few packets.
	if span := at[19].Sub(start); span < 80*time.Millisecond {
		t.Errorf("20 kB at 125 kB/s left in %v", span)
	}
	for i := range 20 {
		if p, ok := c.sent.get(uint16(i)); !ok || p.size < 1000 {
			t.Fatalf("packet %d not recorded: %+v %v", i, p, ok)
		}
	}
	if c.pacer.paced.Load() == 0 || c.pacer.dropped.Load() != 0 {
		t.Errorf("paced %d dropped %d", c.pacer.paced.Load(), c.pacer.dropped.Load())
	}
}

// TestPacerDropsToEndOfFrame: with the queue full, a video packet is
// dropped together with the rest of its frame, and the next frame is
// queued again.
func TestPacerDropsToEndOfFrame(t *testing.T) {
	defer test.CheckRoutines(t)()
	c := New(Options{Estimator: bwe.EstimatorOptions{StartBitrate: bwe.DefaultMinBitrate}, PacerQueue: 4})
	defer c.Close()
	sink := &pacedSink{}
	w := bindPaced(t, c, "video/VP8", 1, sink)
	// The bucket lets the first packet or two through; 3 more fill the
	// queue (one slot stays free); then frame [k, marker] is dropped.
	seq := uint16(0)
	for c.pacer.dropped.Load() == 0 {
		h, p := videoPacket(seq, false)
		if _, err := w.Write(h, p, nil); err != nil {
			t.Fatal(err)
		}
		seq++
		if seq > 20 {
			t.Fatal("queue never filled")
		}
	}
	firstDropped := seq - 1
	h, p := videoPacket(seq, true) // end of the dropped frame: dropped too
	_, _ = w.Write(h, p, nil)
	if got := c.pacer.dropped.Load(); got != 2 {
		t.Fatalf("dropped %d, want the packet and the rest of its frame", got)
	}
	deadline := time.Now().Add(20 * time.Second)
	for c.pacer.queued() != 0 { // the queue drains at the minimum rate
		if time.Now().After(deadline) {
			t.Fatal("queue did not drain")
		}
		time.Sleep(10 * time.Millisecond)
	}
	h, p = videoPacket(seq+1, true) // a new frame goes through
	_, _ = w.Write(h, p, nil)
	deadline = time.Now().Add(20 * time.Second)
	for {
		got, _ := sink.snapshot()
		if n := len(got); n > 0 && got[n-1].SequenceNumber == seq+1 {
			for _, g := range got {
				if g.SequenceNumber == firstDropped || g.SequenceNumber == seq {
					t.Fatalf("dropped packet %d was sent", g.SequenceNumber)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("next frame not sent: %d packets", len(got))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

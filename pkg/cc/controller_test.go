package cc

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/transport/v4/test"

	"github.com/switchyard-sfu/switchyard/pkg/bwe"
)

const twccID = 5

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// harness is a controller installed as an interceptor, a writer that
// stamps transport sequence numbers like pion's header-extension
// interceptor, and an RTCP reader the test feeds.
type harness struct {
	c      *Controller
	write  interceptor.RTPWriter
	read   interceptor.RTCPReader
	rtcpIn chan []byte
	mu     sync.Mutex
	seq    uint16
	sink   func(seq uint16, size int)
}

func newHarness(t *testing.T, o Options) *harness {
	h := &harness{c: New(o), rtcpIn: make(chan []byte, 16)}
	t.Cleanup(h.c.Close)
	it, err := h.c.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	info := &interceptor.StreamInfo{SSRC: 1234, RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: twccID}}}
	inner := it.BindLocalStream(info, interceptor.RTPWriterFunc(func(hdr *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
		ext := hdr.GetExtension(twccID)
		if h.sink != nil {
			h.sink(binary.BigEndian.Uint16(ext), hdr.MarshalSize()+len(payload))
		}
		return hdr.MarshalSize() + len(payload), nil
	}))
	h.write = interceptor.RTPWriterFunc(func(hdr *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		h.mu.Lock()
		var b [2]byte
		binary.BigEndian.PutUint16(b[:], h.seq)
		h.seq++
		_ = hdr.SetExtension(twccID, b[:])
		h.mu.Unlock()
		return inner.Write(hdr, payload, a)
	})
	h.read = it.BindRTCPReader(interceptor.RTCPReaderFunc(func(b []byte, _ interceptor.Attributes) (int, interceptor.Attributes, error) {
		return copy(b, <-h.rtcpIn), nil, nil
	}))
	return h
}

func (h *harness) send(size int) {
	hdr := &rtp.Header{Version: 2, SSRC: 1234, PayloadType: 96}
	_, _ = h.write.Write(hdr, make([]byte, size-hdr.MarshalSize()-4), nil) // 4: the extension
}

func (h *harness) feed(t *testing.T, pkts []rtcp.Packet) {
	t.Helper()
	raw, err := rtcp.Marshal(pkts)
	if err != nil {
		t.Fatal(err)
	}
	h.rtcpIn <- raw
	buf := make([]byte, 1500)
	if _, _, err := h.read.Read(buf, nil); err != nil {
		t.Fatal(err)
	}
}

// TestControllerTracksBottleneck sends at the estimate through a simulated
// 1 Mbit/s bottleneck (FIFO, 300 ms queue, 25 ms delay) on a fake clock
// and feeds pion's own transport-cc feedback back: the estimate must settle
// near the capacity.
func TestControllerTracksBottleneck(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	h := newHarness(t, Options{Now: clk.Now, PacingFactor: -1})
	const capacity = 1_000_000
	rec := twcc.NewRecorder(99)
	var free time.Time
	lost := 0
	h.sink = func(seq uint16, size int) {
		now := clk.Now()
		start := now
		if free.After(now) {
			start = free
		}
		if start.Sub(now) > 300*time.Millisecond {
			lost++
			return
		}
		free = start.Add(time.Duration(size * 8 * int(time.Second) / capacity))
		rec.Record(1234, seq, free.Add(25*time.Millisecond).UnixMicro())
	}
	credit := 0.0
	var samples []int
	for ms := range 30_000 {
		clk.Advance(time.Millisecond)
		credit += float64(h.c.Estimate()) / 8 / 1000
		for credit >= 1200 {
			h.send(1200)
			credit -= 1200
		}
		if ms%100 == 50 {
			h.feed(t, rec.BuildFeedbackPacket())
		}
		if ms%200 == 0 {
			h.c.Tick(0, 0, 0, true)
		}
		if ms >= 20_000 && ms%500 == 0 {
			samples = append(samples, h.c.Estimate())
		}
	}
	for _, s := range samples {
		if s < capacity/2 || s > capacity*3/2 {
			t.Errorf("estimate %d outside [%d, %d] after settling; samples %v", s, capacity/2, capacity*3/2, samples)
			break
		}
	}
	st := h.c.Stats()
	if st.Feedback < 250 || st.BadFeedback != 0 {
		t.Errorf("counters %+v", st.Counters)
	}
	if st.SentBitrate < capacity/2 || st.SentBitrate > capacity*2 {
		t.Errorf("sent bitrate %d", st.SentBitrate)
	}
	t.Logf("estimate %d, lost %d, stats %+v", h.c.Estimate(), lost, st)
}

func TestControllerIgnoresDuplicateFeedback(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	h := newHarness(t, Options{Now: clk.Now, PacingFactor: -1})
	rec := twcc.NewRecorder(99)
	h.sink = func(seq uint16, _ int) { rec.Record(1234, seq, clk.Now().Add(20*time.Millisecond).UnixMicro()) }
	for range 20 {
		clk.Advance(5 * time.Millisecond)
		h.send(1000)
	}
	fb := rec.BuildFeedbackPacket()
	h.feed(t, fb)
	h.feed(t, fb)
	st := h.c.Stats()
	if st.Feedback != 1 || st.Duplicates != 1 {
		t.Fatalf("counters %+v, want 1 applied and 1 duplicate", st.Counters)
	}
}

func TestControllerREMBFallback(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	h := newHarness(t, Options{Now: clk.Now, PacingFactor: -1})
	h.feed(t, []rtcp.Packet{&rtcp.ReceiverEstimatedMaximumBitrate{Bitrate: 120_000, SSRCs: []uint32{1234}}})
	if got := h.c.Estimate(); got != 120_000 {
		t.Fatalf("estimate %d after a 120 kbit/s REMB", got)
	}
	if st := h.c.Stats(); st.REMBMessages != 1 || st.REMB != 120_000 {
		t.Fatalf("stats %+v", st)
	}
	if got := h.c.Tick(100_000, 0, 0, true); got != 100_000 {
		t.Fatalf("estimate %d with 100 kbit/s caps", got)
	}
}

// TestControllerStartProbe: the first Tick starts a probe cluster; every
// packet the prober sends is recorded with the cluster id, and feedback
// showing the cluster delivered at its send rate is confirmed and lifts
// the estimate.
func TestControllerStartProbe(t *testing.T) {
	defer test.CheckRoutines(t)()
	h := newHarness(t, Options{Estimator: bwe.EstimatorOptions{StartBitrate: 300_000}, PacingFactor: -1})
	defer h.c.Close()
	type sent struct {
		seq uint16
		at  time.Time
	}
	var mu sync.Mutex
	var log []sent
	h.sink = func(seq uint16, _ int) {
		mu.Lock()
		log = append(log, sent{seq, time.Now()})
		mu.Unlock()
	}
	h.c.SetProbeSender(func() (int, bool) { h.send(1000); return 1000, true })
	h.c.Tick(0, 0, 0, true)
	deadline := time.Now().Add(10 * time.Second)
	for h.c.ProbePackets() < bwe.DefaultProbeMinPackets || h.c.cluster.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("prober sent %d packets", h.c.ProbePackets())
		}
		time.Sleep(time.Millisecond)
	}
	h.send(1000) // a packet after the cluster ends it
	mu.Lock()
	defer mu.Unlock()
	rec := twcc.NewRecorder(99)
	probes := 0
	for _, s := range log {
		if p, ok := h.c.sent.get(s.seq); ok && p.probe && p.cluster == 1 {
			probes++
		}
		rec.Record(1234, s.seq, s.at.Add(30*time.Millisecond).UnixMicro())
	}
	if probes < bwe.DefaultProbeMinPackets {
		t.Fatalf("%d packets recorded as probes of cluster 1", probes)
	}
	h.feed(t, rec.BuildFeedbackPacket())
	st := h.c.Stats()
	if st.Probes != 1 || st.Confirmed != 1 || st.LastProbe.Cluster != 1 || !st.LastProbe.Confirmed {
		t.Fatalf("probe stats %+v %+v", st.Counters, st.LastProbe)
	}
	if h.c.Estimate() <= 300_000 {
		t.Fatalf("estimate %d not lifted by a confirmed probe (%+v)", h.c.Estimate(), st.LastProbe)
	}
}

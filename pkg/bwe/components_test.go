package bwe

import (
	"math"
	"testing"
	"time"
)

func TestSendHistoryWrap(t *testing.T) {
	h := newSendHistory(16)
	seq := uint16(65530)
	for i := range 20 { // wraps past 65535 and overwrites the first four
		h.add(seq+uint16(i), int64(i), 100+i, false, 0)
	}
	for i := range 20 {
		p, _, ok := h.lookup(seq + uint16(i))
		switch {
		case i < 4 && ok:
			t.Errorf("seq %d (overwritten) found", seq+uint16(i))
		case i >= 4 && (!ok || p.sendNs != int64(i) || p.size != uint32(100+i)):
			t.Errorf("seq %d: %+v, %v", seq+uint16(i), p, ok)
		}
	}
	if _, _, ok := h.lookup(seq + 20); ok {
		t.Error("a sequence number never sent was found")
	}
	// A packet older than the ring is dropped, not written over a newer one.
	if _, ok := h.add(seq, 99, 1, false, 0); ok {
		t.Error("stale packet accepted")
	}
	if p, _, ok := h.lookup(seq + 16); !ok || p.sendNs != 16 {
		t.Error("stale packet overwrote a newer one")
	}
}

func TestRateWindow(t *testing.T) {
	w := newRateWindow(500 * time.Millisecond)
	// 1 Mbit/s: 1250 bytes every 10 ms.
	for i := range 100 {
		if i == 40 && w.rate() != 0 {
			t.Fatalf("rate %d before a full window", w.rate())
		}
		w.add(int64(i)*int64(10*time.Millisecond), 1250)
	}
	if r := w.rate(); r < 950_000 || r > 1_050_000 {
		t.Fatalf("rate %d, want ~1M", r)
	}
	// Half the rate for a window: the old arrivals slide out.
	for i := 100; i < 200; i += 2 {
		w.add(int64(i)*int64(10*time.Millisecond), 1250)
	}
	if r := w.rate(); r < 450_000 || r > 550_000 {
		t.Fatalf("rate %d, want ~500k", r)
	}
	w.add(int64(time.Hour), 1250) // a jump far ahead clears the ring
	w.add(-5, 1)                  // before the base: ignored
	if r := w.rate(); r > 100_000 {
		t.Fatalf("rate %d after a long gap", r)
	}
}

// groupDeltas feeds the trendline groups sent every 20 ms whose one-way
// delay changes by slope ms per group.
func groupDeltas(tl *trendline, n int, slope float64) usage {
	var u usage
	for i := 1; i <= n; i++ {
		send := int64(20 * time.Millisecond)
		arr := send + int64(slope*float64(time.Millisecond))
		u = tl.update(delta{sendNs: send, arrNs: arr, arrAt: int64(i) * arr})
	}
	return u
}

func TestTrendlineDetector(t *testing.T) {
	for _, tc := range []struct {
		name  string
		slope float64
		want  usage
	}{
		{"flat delay", 0, usageNormal},
		{"tiny jitter-level growth", 0.01, usageNormal},
		{"growing queue", 2, usageOver},
		{"draining queue", -2, usageUnder},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl := newTrendline()
			if got := groupDeltas(&tl, 40, tc.slope); got != tc.want {
				t.Fatalf("verdict %v, want %v (trend %.4f, threshold %.2f)", got, tc.want, tl.trend, tl.det.threshold)
			}
		})
	}
}

func TestDetectorThresholdBounds(t *testing.T) {
	d := newDetector()
	for i := range 10_000 {
		d.detect(0, 5, float64(i*100), 100) // nothing: threshold falls to 6
	}
	if d.threshold != thresholdMin {
		t.Fatalf("threshold %v, want %v", d.threshold, thresholdMin)
	}
	for i := range 10_000 {
		d.detect(2, 5, float64(1e6+i*100), 100) // 2*60*4 = 480 > 6+15: outlier, no adaptation
	}
	if d.threshold != thresholdMin {
		t.Fatalf("threshold %v adapted to an outlier", d.threshold)
	}
	d.detect(math.NaN(), 5, 2e6, 100)
	if math.IsNaN(d.threshold) {
		t.Fatal("NaN threshold")
	}
}

func TestAIMD(t *testing.T) {
	step := int64(50 * time.Millisecond)
	rtt := int64(100 * time.Millisecond)

	a := aimd{rate: 1_000_000}
	for i := int64(1); i <= 20; i++ { // one second of "normal"
		a.update(usageNormal, 0, 0, rtt, i*step)
	}
	if a.rate < 1_070_000 || a.rate > 1_081_000 {
		t.Fatalf("rate after 1 s of increase %d, want about 1.08M", a.rate)
	}

	before := a.rate
	a.update(usageOver, 800_000, 0, rtt, 21*step)
	if a.rate != before {
		t.Fatalf("cut %d -> %d within an rtt of the last increase", before, a.rate)
	}
	a.update(usageOver, 800_000, 0, rtt, 22*step)
	if a.rate != 680_000 || a.state != stateHold {
		t.Fatalf("after overuse: rate %d state %d, want 0.85 × 800k and hold", a.rate, a.state)
	}
	a.update(usageOver, 800_000, 0, rtt, 22*step+1)
	if a.rate != 680_000 {
		t.Fatalf("second cut within an rtt: %d", a.rate)
	}
	a.update(usageUnder, 800_000, 0, rtt, 22*step+2)
	if a.rate != 680_000 {
		t.Fatalf("underuse changed the rate: %d", a.rate)
	}
	// Near the known capacity the increase is additive: ~1 packet per
	// response time, far below 8 %/s.
	for i := int64(23); i <= 42; i++ {
		a.update(usageNormal, 680_000, 0, rtt, i*step)
	}
	if a.rate <= 680_000 || a.rate > 720_000 {
		t.Fatalf("additive increase reached %d in 1 s", a.rate)
	}
	// The application limit stops growth.
	b := aimd{rate: 400_000}
	for i := int64(1); i <= 100; i++ {
		b.update(usageNormal, 200_000, 410_000, rtt, i*step)
	}
	if b.rate != 410_000 {
		t.Fatalf("rate %d, want capped at 410k", b.rate)
	}
	// A step up from an application-limited rate: the acknowledged window
	// still says 500k, the last 200 ms carried 950k; the cut starts from
	// the recent rate, and the link capacity keeps the acknowledged one.
	r := aimd{rate: 1_000_000, recent: 950_000}
	r.update(usageOver, 500_000, 0, rtt, step*10)
	if r.rate != 807_500 || r.capacity.estimate != 500_000 {
		t.Fatalf("rate %d capacity %v, want 0.85 × 950k and 500k", r.rate, r.capacity.estimate)
	}
	// After a capacity drop the recent rate is the lower one: no change.
	r = aimd{rate: 2_000_000, recent: 600_000}
	r.update(usageOver, 1_500_000, 0, rtt, step*10)
	if r.rate != 1_275_000 {
		t.Fatalf("rate %d, want 0.85 × 1.5M", r.rate)
	}
	// No acknowledged rate yet: overuse halves.
	c := aimd{rate: 1_000_000}
	c.update(usageOver, 0, 0, rtt, step*10)
	if c.rate != 500_000 {
		t.Fatalf("rate %d, want halved", c.rate)
	}
}

func TestLossBound(t *testing.T) {
	second := int64(time.Second)
	for _, tc := range []struct {
		name      string
		bound     int
		lost, of  int
		current   int
		wantBound int
	}{
		{"high loss cuts by loss/2", 0, 20, 100, 1_000_000, 900_000},
		{"moderate loss holds", 0, 5, 100, 1_000_000, 1_000_000},
		{"moderate loss keeps an active bound", 700_000, 5, 100, 1_000_000, 700_000},
		{"low loss relaxes 5 %/s", 700_000, 1, 100, 1_000_000, 736_000},
		{"low loss frees a bound that no longer binds", 990_000, 0, 100, 1_000_000, 0},
		{"low loss leaves an inactive bound", 0, 0, 100, 1_000_000, 0},
		{"too few packets: no verdict", 0, 10, 19, 1_000_000, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := lossBound{bound: tc.bound}
			l.add(0, 0, 0)
			l.add(tc.lost, tc.of, second)
			l.evaluate(tc.current, 1_000_000, 0, second)
			if l.bound != tc.wantBound {
				t.Fatalf("bound %d, want %d", l.bound, tc.wantBound)
			}
		})
	}
	// Cuts are at least 300 ms + rtt apart.
	l := lossBound{}
	l.add(50, 100, 0)
	l.evaluate(1_000_000, 1_000_000, 0, second)
	l.add(50, 100, second)
	l.evaluate(1_000_000, 1_000_000, 0, second+int64(200*time.Millisecond))
	if l.bound != 750_000 {
		t.Fatalf("bound %d after two cuts 200 ms apart, want one cut", l.bound)
	}
}

func TestProbeClusterRate(t *testing.T) {
	ms := int64(time.Millisecond)
	for _, tc := range []struct {
		name     string
		arrGap   int64 // ms between arrivals
		received int
		want     int
	}{
		// 5 × 1200 B sent 2 ms apart: 4 × 9600 bit / 8 ms = 4.8 Mbit/s.
		{"unsaturated: the send rate", 2, 5, 4_800_000},
		{"saturated at half: 95 % of the receive rate", 4, 5, 2_280_000},
		{"too few received", 2, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tr probeTracker
			for i := range 5 {
				tr.onSent(7, int64(100+i), int64(i)*2*ms, 1200)
			}
			for i := range 5 {
				tr.onReport(7, int64(100+i), i < tc.received, 50*ms+int64(i)*tc.arrGap*ms, 1200)
			}
			var jumped int
			tr.finish(104, 200*ms, 0, false, func(r int) { jumped = r })
			r, ok := tr.pop()
			if !ok || r.Cluster != 7 || r.Bitrate != tc.want || r.Confirmed != (tc.want > 0) || jumped != tc.want {
				t.Fatalf("result %+v (%v), jump %d; want %d", r, ok, jumped, tc.want)
			}
		})
	}
	// Overuse seen after the cluster started: measured, not confirmed.
	var tr probeTracker
	for i := range 5 {
		tr.onSent(1, int64(i), int64(i)*2*ms, 1200)
		tr.onReport(1, int64(i), true, int64(i)*2*ms, 1200)
	}
	tr.finish(10, 200*ms, 150*ms, true, func(int) { t.Fatal("jump despite overuse") })
	if r, _ := tr.pop(); r.Confirmed || r.Bitrate == 0 {
		t.Fatalf("result %+v", r)
	}
}

// TestProbeClusterLatePacket: a packet of a cluster already measured does
// not open a new cluster measured from a handful of packets.
func TestProbeClusterLatePacket(t *testing.T) {
	ms := int64(time.Millisecond)
	var tr probeTracker
	for i := range 5 {
		tr.onSent(3, int64(i), int64(i)*2*ms, 1200)
		tr.onReport(3, int64(i), true, 50*ms+int64(i)*10*ms, 1200)
	}
	tr.finish(4, 200*ms, 0, false, func(int) {})
	if r, ok := tr.pop(); !ok || r.Cluster != 3 || r.Bitrate != 912_000 {
		t.Fatalf("result %+v, %v; want 0.95 × 4 × 9600 bit / 40 ms (saturated)", r, ok)
	}
	// Three more packets of cluster 3, sent back to back, arriving 1 ms
	// apart: measured alone they would read 19 Mbit/s.
	for i := 5; i < 8; i++ {
		tr.onSent(3, int64(i), 210*ms, 1200)
		tr.onReport(3, int64(i), true, 260*ms+int64(i)*ms, 1200)
	}
	tr.finish(8, 500*ms, 0, false, func(r int) { t.Fatalf("jump to %d from a late packet", r) })
	if r, ok := tr.pop(); ok {
		t.Fatalf("result %+v from a finished cluster's late packets", r)
	}
}

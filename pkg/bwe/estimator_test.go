package bwe

import (
	"errors"
	"testing"
	"time"
)

func TestEstimatorOptions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		o     EstimatorOptions
		ok    bool
		start int
	}{
		{"zero: defaults", EstimatorOptions{}, true, DefaultStartBitrate},
		{"explicit", EstimatorOptions{StartBitrate: 1_000_000, MinBitrate: 100_000, MaxBitrate: 5_000_000}, true, 1_000_000},
		{"start below min", EstimatorOptions{StartBitrate: 10_000}, false, DefaultMinBitrate},
		{"start above max", EstimatorOptions{StartBitrate: 2_000_000, MaxBitrate: 1_000_000}, false, 1_000_000},
		{"min above max", EstimatorOptions{MinBitrate: 2_000_000, MaxBitrate: 1_000_000}, false, 2_000_000},
		{"negative", EstimatorOptions{StartBitrate: -1}, false, DefaultStartBitrate},
		{"history too big", EstimatorOptions{HistorySize: 1 << 20}, false, DefaultStartBitrate},
		{"window too long", EstimatorOptions{AckedWindow: time.Hour}, false, DefaultStartBitrate},
		{"app-limit factor below 1", EstimatorOptions{AppLimitFactor: 0.5}, false, DefaultStartBitrate},
		{"negative probe validity", EstimatorOptions{AppLimitedHold: -time.Second}, false, DefaultStartBitrate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate()
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalidOptions)) {
				t.Fatalf("Validate = %v, want ok=%v", err, tc.ok)
			}
			if got := NewEstimator(tc.o).Estimate(); got != tc.start {
				t.Fatalf("start estimate %d, want %d", got, tc.start)
			}
		})
	}
}

func TestEstimatorREMB(t *testing.T) {
	e := NewEstimator(EstimatorOptions{MaxBitrate: 5_000_000})
	for _, tc := range []struct{ remb, want int }{
		{1_000_000, 1_000_000},
		{4_000_000, 4_000_000},
		{9_000_000, 5_000_000}, // Max
		{10_000, DefaultMinBitrate},
		{0, DefaultMinBitrate}, // ignored
		{700_000, 700_000},
	} {
		e.OnREMB(tc.remb, t0)
		if got := e.Estimate(); got != tc.want {
			t.Fatalf("REMB %d: estimate %d, want %d", tc.remb, got, tc.want)
		}
	}

	// With transport-cc, REMB is only an upper bound, and it expires.
	e = NewEstimator(EstimatorOptions{StartBitrate: 1_000_000})
	feed := func(at time.Time) {
		e.OnPacketSent(PacketSent{TransportSeq: 1, Size: 1000, SentAt: at})
		e.OnFeedback([]PacketResult{{TransportSeq: 1, Received: true, ArrivedAt: at}}, at)
	}
	feed(t0)
	before := e.Estimate()
	e.OnREMB(2_000_000, t0)
	if got := e.Estimate(); got != before {
		t.Fatalf("REMB above the estimate raised it to %d", got)
	}
	e.OnREMB(400_000, t0)
	if got := e.Estimate(); got != 400_000 {
		t.Fatalf("REMB below the estimate: %d, want 400k", got)
	}
	feed(t0.Add(6 * time.Second))
	if got := e.Estimate(); got < 1_000_000 {
		t.Fatalf("stale REMB still bounds the estimate: %d", got)
	}
}

func TestEstimatorCaps(t *testing.T) {
	e := NewEstimator(EstimatorOptions{StartBitrate: 1_000_000})
	e.SetCaps(600_000)
	if got := e.Estimate(); got != 600_000 {
		t.Fatalf("capped estimate %d", got)
	}
	e.SetCaps(10)
	if got := e.Estimate(); got != DefaultMinBitrate {
		t.Fatalf("cap below min: %d", got)
	}
	e.SetCaps(0)
	if got := e.Estimate(); got != DefaultMinBitrate {
		// The internal rate was bounded by the cap: it does not spring
		// back, it grows (or is probed) from there.
		t.Fatalf("uncapped estimate %d", got)
	}
	e.OnREMB(3_000_000, t0)
	if got := e.Estimate(); got != 3_000_000 {
		t.Fatalf("estimate %d after the cap was lifted", got)
	}
}

// TestEstimatorIgnoresJunk: feedback for packets never sent, too old, or
// reported twice changes nothing.
func TestEstimatorIgnoresJunk(t *testing.T) {
	run := func(junk bool) (int, int) {
		e := NewEstimator(EstimatorOptions{HistorySize: 64})
		seq := uint16(65500)
		for i := range 200 {
			at := t0.Add(time.Duration(i) * 10 * time.Millisecond)
			e.OnPacketSent(PacketSent{TransportSeq: seq, Size: 1250, SentAt: at})
			res := []PacketResult{{TransportSeq: seq, Received: true, ArrivedAt: at.Add(time.Hour)}}
			if junk {
				res = append(res,
					PacketResult{TransportSeq: seq, Received: true, ArrivedAt: at.Add(time.Hour)}, // twice
					PacketResult{TransportSeq: seq + 1000, Received: true, ArrivedAt: at},         // never sent
					PacketResult{TransportSeq: seq - 100, Received: false},                        // too old
					PacketResult{TransportSeq: seq, Received: false},                              // already received
				)
			}
			e.OnFeedback(res, at.Add(60*time.Millisecond))
			seq++
		}
		return e.Estimate(), e.AckedBitrate()
	}
	e1, a1 := run(false)
	e2, a2 := run(true)
	if e1 != e2 || a1 != a2 || a1 < 950_000 || a1 > 1_050_000 {
		t.Fatalf("clean: %d/%d, with junk: %d/%d (acked should be ~1M)", e1, a1, e2, a2)
	}
}

// TestEstimatorProbeJump: a confirmed probe lifts the estimate to the
// delivered rate at once and is reported once.
func TestEstimatorProbeJump(t *testing.T) {
	e := NewEstimator(EstimatorOptions{})
	var res []PacketResult
	for i := range 5 { // 5 × 1125 B at 3 ms: 3 Mbit/s, delivered as sent
		at := ms(3 * i)
		e.OnPacketSent(PacketSent{TransportSeq: uint16(i), Size: 1125, SentAt: at, Probe: true, ProbeCluster: 4})
		res = append(res, PacketResult{TransportSeq: uint16(i), Received: true, ArrivedAt: at.Add(40 * time.Millisecond)})
	}
	e.OnPacketSent(PacketSent{TransportSeq: 5, Size: 1000, SentAt: ms(20)}) // the cluster is over
	e.OnFeedback(res, ms(200))
	r, ok := e.PopProbeResult()
	if !ok || r.Cluster != 4 || !r.Confirmed || r.Bitrate != 3_000_000 {
		t.Fatalf("probe result %+v, %v", r, ok)
	}
	if _, ok := e.PopProbeResult(); ok {
		t.Fatal("result reported twice")
	}
	if got := e.Estimate(); got != 3_000_000 {
		t.Fatalf("estimate %d after the probe, want 3M", got)
	}
}

// TestEstimatorBoundedMemory: no feedback for a million packets, then one
// huge feedback: the history and scratch space stay at their fixed sizes.
func TestEstimatorBoundedMemory(t *testing.T) {
	e := NewEstimator(EstimatorOptions{HistorySize: 1024})
	for i := range 1_000_000 {
		e.OnPacketSent(PacketSent{TransportSeq: uint16(i), Size: 1200, SentAt: t0.Add(time.Duration(i) * time.Millisecond)})
	}
	res := make([]PacketResult, 200_000)
	for i := range res {
		res[i] = PacketResult{TransportSeq: uint16(i), Received: true, ArrivedAt: t0.Add(time.Duration(i) * time.Millisecond)}
	}
	e.OnFeedback(res, t0.Add(1001*time.Second))
	if len(e.hist.ring) != 1024 || cap(e.scratch) > 1024 {
		t.Fatalf("history %d, scratch cap %d", len(e.hist.ring), cap(e.scratch))
	}
	if got := e.Estimate(); got < DefaultMinBitrate || got > DefaultMaxBitrate {
		t.Fatalf("estimate %d", got)
	}
}

// TestEstimatorNoAllocs: steady-state calls do not allocate.
func TestEstimatorNoAllocs(t *testing.T) {
	e := NewEstimator(EstimatorOptions{})
	seq := uint16(0)
	res := make([]PacketResult, 20)
	now := t0
	round := func() {
		for i := range res {
			now = now.Add(2 * time.Millisecond)
			e.OnPacketSent(PacketSent{TransportSeq: seq, Size: 1200, SentAt: now})
			res[i] = PacketResult{TransportSeq: seq, Received: i%17 != 0, ArrivedAt: now.Add(30 * time.Millisecond)}
			seq++
		}
		e.OnFeedback(res, now.Add(60*time.Millisecond))
	}
	for range 100 {
		round()
	}
	if n := testing.AllocsPerRun(200, round); n != 0 {
		t.Fatalf("%v allocations per 20 packets + 1 feedback", n)
	}
}

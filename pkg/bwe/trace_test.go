package bwe

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// The trace tests drive the estimator (and, where named, the probe
// controller) through the simulator in sim_test.go: a 50 ms one-way
// bottleneck with a 300 ms queue, transport-cc feedback every 50 ms. They
// assert ranges; the figures they log are quoted in the package's review.

const sec = time.Second

// TestTraceSteady: the estimate converges into a band around a constant
// capacity and the link is used without a standing queue.
func TestTraceSteady(t *testing.T) {
	for _, tc := range []struct {
		capacity int
		probe    bool
		converge time.Duration // bound on reaching 70 % of capacity
	}{
		{1_000_000, true, 2 * sec},
		{2_500_000, true, 2 * sec},
		{5_000_000, true, 3 * sec},
		{1_000_000, false, 20 * sec},
	} {
		t.Run(fmt.Sprintf("%dk/probe=%v", tc.capacity/1000, tc.probe), func(t *testing.T) {
			s, _ := runSim(simConfig{dur: 90 * sec, link: newLink(constant(tc.capacity), 1), demand: constant(10_000_000), probe: tc.probe})
			conv := firstAt(s, 0, func(x simSample) bool { return x.estimate >= x.capacity*7/10 })
			if conv < 0 || conv > tc.converge {
				t.Fatalf("70%% of capacity reached at %v, want <= %v", conv, tc.converge)
			}
			w := window(s, conv+5*sec, 90*sec)
			est, sent, band, q := meanRatio(w, false), meanRatio(w, true), inBand(w, 0.7, 1.1), p95Queue(w)
			t.Logf("converged in %v; then mean estimate %.0f%%, utilization %.0f%%, %.0f%% of samples in [70%%, 110%%], p95 queue %v",
				conv, 100*est, 100*sent, 100*band, q)
			if est < 0.8 || est > 1.0 || sent < 0.85 || band < 0.95 || q > 100*time.Millisecond {
				t.Fatalf("estimate %.2f (want [0.8, 1]), utilization %.2f (want >= 0.85), band %.2f (want >= 0.95), p95 queue %v (want < 100ms)",
					est, sent, band, q)
			}
		})
	}
}

// TestTraceStepDown: after the capacity drops, the estimate gets under the
// new capacity within 2 s and settles around it.
func TestTraceStepDown(t *testing.T) {
	for _, tc := range []struct{ from, to int }{{2_500_000, 600_000}, {1_000_000, 300_000}, {5_000_000, 2_000_000}} {
		t.Run(fmt.Sprintf("%dk-%dk", tc.from/1000, tc.to/1000), func(t *testing.T) {
			capacity := steps([]time.Duration{0, 30 * sec}, []int{tc.from, tc.to})
			s, _ := runSim(simConfig{dur: 60 * sec, link: newLink(capacity, 2), demand: constant(10_000_000), probe: true})
			under := firstAt(s, 30*sec, func(x simSample) bool { return x.estimate < tc.to })
			w := window(s, 40*sec, 60*sec)
			t.Logf("under the new capacity after %v; then mean estimate %.0f%%, utilization %.0f%%, p95 queue %v",
				under-30*sec, 100*meanRatio(w, false), 100*meanRatio(w, true), p95Queue(w))
			if under < 0 || under-30*sec > 2*sec {
				t.Fatalf("estimate under %d only at %v", tc.to, under)
			}
			if r := meanRatio(w, false); r < 0.75 || r > 1.0 {
				t.Fatalf("mean estimate %.2f of the new capacity, want [0.75, 1]", r)
			}
		})
	}
}

// TestTraceStepUp: after the capacity rises, the estimate reaches 90 % of
// it within 5 s with probing; without probing it creeps (logged).
func TestTraceStepUp(t *testing.T) {
	for _, tc := range []struct {
		from, to int
		probe    bool
		bound    time.Duration
	}{
		{1_000_000, 2_500_000, true, 5 * sec},
		{600_000, 1_000_000, true, 5 * sec},
		{300_000, 1_000_000, true, 5 * sec},
		{1_000_000, 2_500_000, false, 30 * sec},
	} {
		t.Run(fmt.Sprintf("%dk-%dk/probe=%v", tc.from/1000, tc.to/1000, tc.probe), func(t *testing.T) {
			capacity := steps([]time.Duration{0, 30 * sec}, []int{tc.from, tc.to})
			// Warm up with probing in both cases, so the no-probe case
			// starts converged.
			cfg := simConfig{dur: 70 * sec, link: newLink(capacity, 3), demand: constant(10_000_000), probe: true}
			if !tc.probe {
				cfg.wantUntil = 20 * sec
			}
			s, _ := runSim(cfg)
			up := firstAt(s, 30*sec, func(x simSample) bool { return x.estimate >= tc.to*9/10 })
			t.Logf("90%% of the new capacity after %v", up-30*sec)
			if up < 0 || up-30*sec > tc.bound {
				t.Fatalf("90%% of %d reached at %v, want within %v of 30s", tc.to, up, tc.bound)
			}
		})
	}
}

// TestTraceStartup: from 300 kbit/s on a 2.5 Mbit/s link. With probing the
// estimate passes 2 Mbit/s in well under a second; without, the 8 %/s
// ramp takes about 25 s (logged, and bounded to document it).
func TestTraceStartup(t *testing.T) {
	for _, tc := range []struct {
		probe  bool
		lo, hi time.Duration
	}{{true, 0, 2 * sec}, {false, 20 * sec, 32 * sec}} {
		t.Run(fmt.Sprintf("probe=%v", tc.probe), func(t *testing.T) {
			s, _ := runSim(simConfig{dur: 40 * sec, link: newLink(constant(2_500_000), 4), demand: constant(10_000_000), probe: tc.probe})
			at := firstAt(s, 0, func(x simSample) bool { return x.estimate >= 2_000_000 })
			t.Logf("2 Mbit/s reached at %v", at)
			if at < tc.lo || at > tc.hi {
				t.Fatalf("2 Mbit/s reached at %v, want [%v, %v]", at, tc.lo, tc.hi)
			}
		})
	}
}

// TestTraceLoss: random loss from 10 s on a 2.5 Mbit/s link. 1 % and 5 %
// do not collapse the estimate; 15 % reduces it. Probing towards demand
// stops at 10 s ("estimator only") or continues ("with probes", where a
// confirmed probe lifts the loss bound again).
func TestTraceLoss(t *testing.T) {
	for _, tc := range []struct {
		loss     float64
		probes   bool
		min, max float64 // mean estimate/capacity over 25–45 s
	}{
		{0.01, false, 0.75, 1.0},
		{0.05, false, 0.6, 1.0},
		{0.15, false, 0, 0.3},
		{0.01, true, 0.75, 1.0},
		{0.05, true, 0.75, 1.0},
		{0.15, true, 0, 0.85},
	} {
		t.Run(fmt.Sprintf("%.0f%%/probes=%v", 100*tc.loss, tc.probes), func(t *testing.T) {
			link := newLink(constant(2_500_000), 5)
			cfg := simConfig{dur: 45 * sec, link: link, demand: constant(10_000_000), probe: true,
				hook: func(at time.Duration, _ time.Time, _ *Estimator) {
					if at == 10*sec {
						link.loss = tc.loss
					}
				}}
			if !tc.probes {
				cfg.wantUntil = 10 * sec
			}
			s, _ := runSim(cfg)
			before, after := meanRatio(window(s, 5*sec, 10*sec), false), meanRatio(window(s, 25*sec, 45*sec), false)
			t.Logf("mean estimate %.0f%% of capacity before the loss, %.0f%% during it", 100*before, 100*after)
			if after < tc.min || after > tc.max {
				t.Fatalf("mean estimate %.2f during loss, want [%.2f, %.2f]", after, tc.min, tc.max)
			}
		})
	}
}

// TestTraceAppLimited: a sender with 200 kbit/s to send on a 5 Mbit/s link
// for 60 s. The estimate must not run away: it stays within 3× the sent
// rate (2× + 10 kbit/s by design). With start probes the probed 1.8 Mbit/s
// is held for AppLimitedHold, then decays (2 s half-life): from 15 s on
// the bound holds again.
func TestTraceAppLimited(t *testing.T) {
	for _, probe := range []bool{false, true} {
		t.Run(fmt.Sprintf("probe=%v", probe), func(t *testing.T) {
			s, _ := runSim(simConfig{dur: 60 * sec, link: newLink(constant(5_000_000), 6), demand: constant(200_000), probe: probe})
			from := time.Duration(0)
			if probe {
				from = 15 * sec
			}
			m := maxEstimate(window(s, from, 60*sec))
			back := firstAt(s, 0, func(x simSample) bool { return x.t > sec && x.estimate <= 600_000 })
			t.Logf("highest estimate from %v on: %d bit/s (%.1f× the sent rate); over the whole run %d; <= 600k from %v",
				from, m, float64(m)/200_000, maxEstimate(s), back)
			if m > 600_000 {
				t.Fatalf("estimate reached %d while sending 200 kbit/s", m)
			}
		})
	}
}

// TestTraceDelaySpike: the link stalls for 200 ms (a delay spike) at 20 s.
// The estimate dips but recovers to 80 % of capacity within 10 s.
func TestTraceDelaySpike(t *testing.T) {
	for _, probes := range []bool{false, true} {
		t.Run(fmt.Sprintf("probes=%v", probes), func(t *testing.T) {
			link := newLink(constant(2_500_000), 7)
			link.stalls = []simStall{{20 * sec, 200 * time.Millisecond}}
			cfg := simConfig{dur: 45 * sec, link: link, demand: constant(10_000_000), probe: true}
			if !probes {
				cfg.wantUntil = 10 * sec
			}
			s, _ := runSim(cfg)
			low := 1 << 62
			for _, x := range window(s, 20*sec, 25*sec) {
				low = min(low, x.estimate)
			}
			back := firstAt(s, 20*sec+time.Second, func(x simSample) bool { return x.estimate >= x.capacity*8/10 })
			t.Logf("lowest estimate after the spike %d bit/s, back to 80%% after %v; mean over 35–45 s %.0f%%",
				low, back-20*sec, 100*meanRatio(window(s, 35*sec, 45*sec), false))
			if back < 0 || back-20*sec > 10*sec {
				t.Fatalf("estimate back to 80%% only at %v", back)
			}
			if r := meanRatio(window(s, 35*sec, 45*sec), false); r < 0.8 {
				t.Fatalf("mean estimate %.2f after the spike", r)
			}
		})
	}
}

// TestTraceCaps: the receiver's caps bound the estimate and the sent rate;
// lifting them lets it grow to the link again.
func TestTraceCaps(t *testing.T) {
	s, _ := runSim(simConfig{dur: 40 * sec, link: newLink(constant(2_500_000), 8), demand: constant(10_000_000), probe: true,
		hook: func(at time.Duration, _ time.Time, e *Estimator) {
			switch at {
			case 0:
				e.SetCaps(800_000)
			case 20 * sec:
				e.SetCaps(0)
			}
		}})
	if m := maxEstimate(window(s, 0, 20*sec)); m > 800_000 {
		t.Fatalf("estimate %d above the 800 kbit/s cap", m)
	}
	up := firstAt(s, 20*sec, func(x simSample) bool { return x.estimate >= 2_000_000 })
	t.Logf("capped at 800 kbit/s for 20 s; 2 Mbit/s %v after the cap was lifted", up-20*sec)
	if up < 0 || up-20*sec > 5*sec {
		t.Fatalf("2 Mbit/s reached at %v after lifting the cap", up)
	}
}

// TestTraceRFC8867 runs the RFC 8867 §5.1 capacity schedule (1 → 2.5 →
// 0.6 → 1 Mbit/s at 0/40/60/80 s, 50 ms one-way delay, 300 ms queue) and
// checks the report targets: ≥ 85 % utilization, p95 queueing
// delay < 100 ms, 90 % of a new capacity within 5 s, under a dropped
// capacity within 1 s (the last one asserted at 2 s, logged exactly).
func TestTraceRFC8867(t *testing.T) {
	at := []time.Duration{0, 40 * sec, 60 * sec, 80 * sec}
	rates := []int{1_000_000, 2_500_000, 600_000, 1_000_000}
	s, _ := runSim(simConfig{dur: 100 * sec, link: newLink(steps(at, rates), 9), demand: constant(10_000_000), probe: true})
	util, q := meanRatio(s, true), p95Queue(s)
	up1 := firstAt(s, 40*sec, func(x simSample) bool { return x.estimate >= 2_250_000 }) - 40*sec
	down := firstAt(s, 60*sec, func(x simSample) bool { return x.estimate < 600_000 }) - 60*sec
	up2 := firstAt(s, 80*sec, func(x simSample) bool { return x.estimate >= 900_000 }) - 80*sec
	t.Logf("utilization %.0f%%, p95 queue %v, 90%% of 2.5M after %v, under 0.6M after %v, 90%% of 1M after %v",
		100*util, q, up1, down, up2)
	if util < 0.85 || q >= 100*time.Millisecond || up1 < 0 || up1 > 5*sec || down < 0 || down > 2*sec || up2 < 0 || up2 > 5*sec {
		t.Fatal("RFC 8867 §5.1 targets missed")
	}
}

// TestTracePause: the sender pauses to audio only (50 kbit/s). A 3 s pause
// keeps the estimate (AppLimitedHold); a 30 s pause lets it decay towards
// the application limit; on resume, probing towards the demand brings it
// back within a few seconds.
func TestTracePause(t *testing.T) {
	demand := steps([]time.Duration{0, 20 * sec, 23 * sec, 30 * sec, 60 * sec},
		[]int{10_000_000, 50_000, 10_000_000, 50_000, 10_000_000})
	s, _ := runSim(simConfig{dur: 75 * sec, link: newLink(constant(2_500_000), 10), demand: demand, probe: true})
	before := meanRatio(window(s, 15*sec, 20*sec), false)
	short := float64(window(s, 22900*time.Millisecond, 23*sec)[0].estimate) / 2_500_000
	long := window(s, 59900*time.Millisecond, 60*sec)[0].estimate
	back := firstAt(s, 60*sec, func(x simSample) bool { return x.estimate >= 2_250_000 })
	t.Logf("before %.0f%%, after a 3 s pause %.0f%%, after a 30 s pause %d bit/s, 90%% again %v after resuming",
		100*before, 100*short, long, back-60*sec)
	if short < 0.8 || long > 200_000 || back < 0 || back-60*sec > 3*sec {
		t.Fatal("pause/resume out of range")
	}
}

// TestTraceProbeBurst: an application-limited sender (70 % of the
// capacity) keeps probing for an upgrade that needs 120 % of it, through a
// token bucket that lets 1500 bytes through at once after an idle spell
// (pion's vnet TBF queue), towards a receiver that reads in bunches (0–4 ms
// apart), with probes sent as 255-byte padding. A probe result must
// measure the link, not the burst: the confirmed results stay near the
// capacity.
func TestTraceProbeBurst(t *testing.T) {
	for _, capacity := range []int{600_000, 1_000_000, 2_500_000} {
		t.Run(fmt.Sprintf("%dk", capacity/1000), func(t *testing.T) {
			link := newLink(constant(capacity), 11)
			link.burst, link.readEvery = 1500, 2*time.Millisecond
			// AppLimitFactor 1: the estimate does not grow past the
			// sender's rate on its own, so the allocator keeps probing.
			_, probes := runSim(simConfig{dur: 60 * sec, link: link, demand: constant(capacity * 7 / 10),
				probe: true, probeWant: capacity * 12 / 10, probePacket: 255, opts: EstimatorOptions{AppLimitFactor: 1}})
			var rates []int
			for _, p := range probes {
				if p.Confirmed {
					rates = append(rates, p.Bitrate)
				}
			}
			slices.Sort(rates)
			if len(rates) < 5 {
				t.Fatalf("%d confirmed probes of %d", len(rates), len(probes))
			}
			median, p90 := rates[len(rates)/2], rates[len(rates)*9/10]
			t.Logf("%d probes, %d confirmed: median %.2f, p90 %.2f, max %.2f × capacity", len(probes), len(rates),
				float64(median)/float64(capacity), float64(p90)/float64(capacity), float64(rates[len(rates)-1])/float64(capacity))
			// Measured from the whole cluster, with clusters of 15 ms
			// only, the median was 1.06–1.49 × and the p90 1.16–1.5 ×
			// the capacity; what remains is the bunched reads' noise.
			if float64(median) > 1.05*float64(capacity) || float64(p90) > 1.15*float64(capacity) {
				t.Fatal("probes measure the burst, not the link")
			}
		})
	}
}

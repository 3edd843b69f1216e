package bwe

import (
	"math"
	"testing"
	"time"
)

// fuzzReader hands out bytes of the fuzz input, zero once it runs dry.
type fuzzReader struct{ data []byte }

func (r *fuzzReader) next() int {
	if len(r.data) == 0 {
		return 0
	}
	b := r.data[0]
	r.data = r.data[1:]
	return int(b)
}

// FuzzEstimator drives an estimator and a probe controller with arbitrary
// sequences of sends (wrapping, skipping and repeating sequence numbers),
// feedback (lost, duplicate, unknown, reordered, clock jumps), REMB, caps
// and time jumps backwards and forwards. Invariants: no panic, the
// estimate always within [MinBitrate, MaxBitrate] and the caps, sane
// acknowledged rate and stats, well-formed probes.
func FuzzEstimator(f *testing.F) {
	f.Add([]byte{10, 20, 0, 1, 150, 3, 0, 1, 150, 3, 1, 4, 0, 1, 1, 1, 3, 1, 1, 2, 50, 3, 40})
	f.Add([]byte{0, 0, 0, 0, 255, 255, 255, 255, 1, 15, 255, 255, 255, 255, 255, 255, 4, 200, 2, 0, 3, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &fuzzReader{data: data}
		minRate := r.next()*1000 + 1
		maxRate := minRate + r.next()*100_000
		e := NewEstimator(EstimatorOptions{
			StartBitrate: r.next() * 10_000,
			MinBitrate:   minRate,
			MaxBitrate:   maxRate,
			HistorySize:  r.next() * 8,
		})
		pc := NewProbeController(ProbeOptions{MaxBitrate: maxRate})
		now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		arrival := now.Add(-time.Hour)
		seq := uint16(r.next() << 8)
		caps := 0
		probe := Probe{}
		for len(r.data) > 0 {
			switch r.next() % 6 {
			case 0: // send
				seq += uint16(r.next()%5) - 1
				now = now.Add(time.Duration(r.next()) * 100 * time.Microsecond)
				isProbe := r.next()%3 == 0
				e.OnPacketSent(PacketSent{TransportSeq: seq, Size: r.next() * 8, SentAt: now, Probe: isProbe, ProbeCluster: probe.Cluster})
			case 1: // feedback
				n := r.next() % 24
				res := make([]PacketResult, n)
				for i := range res {
					arrival = arrival.Add(time.Duration(r.next()-40) * time.Millisecond)
					res[i] = PacketResult{TransportSeq: seq - uint16(r.next()%32), Received: r.next()%4 != 0, ArrivedAt: arrival}
				}
				now = now.Add(time.Duration(r.next()) * time.Millisecond)
				e.OnFeedback(res, now)
				for pr, ok := e.PopProbeResult(); ok; pr, ok = e.PopProbeResult() {
					if pr.Bitrate < 0 || (pr.Confirmed && pr.Bitrate == 0) {
						t.Fatalf("probe result %+v", pr)
					}
					pc.OnProbeResult(pr.Cluster, pr.Bitrate, now)
				}
			case 2:
				e.OnREMB(r.next()*20_000-100_000, now)
			case 3:
				caps = r.next()*20_000 - 50_000
				e.SetCaps(caps)
			case 4: // clock jumps, either way
				now = now.Add(time.Duration(r.next()-128) * time.Second)
				arrival = arrival.Add(time.Duration(r.next()-128) * time.Second)
			case 5:
				if p, ok := pc.Next(now, e.Estimate(), r.next()*50_000); ok {
					if p.Bitrate <= 0 || p.Bitrate > maxRate || p.Packets < DefaultProbeMinPackets || p.Bytes <= 0 {
						t.Fatalf("probe %+v (max %d)", p, maxRate)
					}
					probe = p
				}
			}
			est := e.Estimate()
			hi := max(maxRate, minRate)
			if caps > 0 {
				hi = min(hi, max(caps, minRate))
			}
			if est < minRate || est > hi {
				t.Fatalf("estimate %d outside [%d, %d]", est, minRate, hi)
			}
			s := e.Stats()
			if s.Acked < 0 || math.IsNaN(s.LossFraction) || s.LossFraction < 0 || s.LossFraction > 1 || s.Threshold <= 0 {
				t.Fatalf("stats %+v", s)
			}
		}
	})
}

// FuzzAllocate checks Allocate's invariants on arbitrary slots and
// budgets: one allocation per slot in order, layers in range with their
// bit rates, audio always on, video within budget × Keep, and (for
// non-decreasing ladders) wanted set exactly when some video slot is below
// its top layer.
func FuzzAllocate(f *testing.F) {
	f.Add([]byte{100, 3, 1, 5, 3, 10, 50, 150, 2, 2, 0, 1, 20, 1, 1, 1, 8})
	f.Add([]byte{1, 0, 4, 0, 1, 255, 2, 9, 3, 5, 6, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &fuzzReader{data: data}
		budget := r.next()*20_000 - 200_000
		h := Hysteresis{Keep: float64(r.next()) / 100, Upgrade: float64(r.next()) / 100}
		var slots []Slot
		for len(r.data) > 0 && len(slots) < 16 {
			s := Slot{ID: string(rune('a' + len(slots))), Kind: Kind(r.next() % 3), Priority: r.next() % 4}
			for range r.next() % 4 {
				s.Layers = append(s.Layers, r.next()*10_000-20_000)
			}
			s.Current = r.next()%6 - 2
			slots = append(slots, s)
		}
		allocs, wanted := Allocate(budget, slots, h)
		if len(allocs) != len(slots) {
			t.Fatalf("%d allocations for %d slots", len(allocs), len(slots))
		}
		keep, _ := h.factors()
		total, videoOn, blocked, monotonic := 0, false, false, true
		for i, a := range allocs {
			s := slots[i]
			if a.ID != s.ID || a.Layer < -1 || a.Layer >= max(len(s.Layers), 0) && a.Layer != -1 {
				t.Fatalf("slot %+v: %+v", s, a)
			}
			if a.Layer == -1 && a.Bitrate != 0 || a.Layer >= 0 && a.Bitrate != rateOf(s.Layers, a.Layer) {
				t.Fatalf("slot %+v: %+v", s, a)
			}
			if s.Kind == Audio && len(s.Layers) > 0 && a.Layer != 0 {
				t.Fatalf("audio slot %+v not allocated: %+v", s, a)
			}
			if s.Kind != Audio && len(s.Layers) > 0 {
				videoOn = videoOn || a.Layer >= 0
				blocked = blocked || a.Layer < len(s.Layers)-1
			}
			for j := 1; j < len(s.Layers); j++ {
				monotonic = monotonic && rateOf(s.Layers, j) >= rateOf(s.Layers, j-1)
			}
			total += a.Bitrate
		}
		if videoOn && float64(total) > float64(max(budget, 0))*keep+1 {
			t.Fatalf("total %d over budget %d × %v", total, budget, keep)
		}
		// With decreasing layers (invalid input) a step can cost less than
		// nothing; wanted is only meaningful for sane ladders.
		if monotonic && (wanted > 0) != blocked {
			t.Fatalf("wanted %d, blocked %v", wanted, blocked)
		}
	})
}

package main

import (
	"time"
)

// phase is one step of the capacity schedule.
type phase struct {
	At   time.Duration
	Rate int // bit/s
}

// rfc8867 is the RFC 8867 §5.1 (variable available capacity, single flow)
// schedule: 1 → 2.5 → 0.6 → 1 Mbit/s at 0, 40, 60 and 80 s, for 100 s.
var rfc8867 = []phase{{0, 1_000_000}, {40 * time.Second, 2_500_000}, {60 * time.Second, 600_000}, {80 * time.Second, 1_000_000}}

const testDuration = 100 * time.Second

// capacityAt returns the scheduled rate at t.
func capacityAt(schedule []phase, t time.Duration) int {
	rate := schedule[0].Rate
	for _, p := range schedule {
		if t >= p.At {
			rate = p.Rate
		}
	}
	return rate
}

// sample is one observation, every sampleEvery.
type sample struct {
	T         millis `json:"t_ms"`
	Capacity  int    `json:"capacity_bps"`
	Estimate  int    `json:"estimate_bps"`
	Offered   int    `json:"offered_bps"`   // sent towards the receiver, over rateWindow
	Delivered int    `json:"delivered_bps"` // read by the receiver, over rateWindow
	Allocated int    `json:"allocated_bps"`
	// The estimator's parts (GetRoom): delay-based rate, loss bound (0:
	// not binding), acknowledged rate, the allocator's probe target, the
	// delay detector's state and the loss fraction.
	DelayBased int     `json:"delay_based_bps"`
	LossBound  int     `json:"loss_bound_bps"`
	Acked      int     `json:"acked_bps"`
	Wanted     int     `json:"wanted_bps"`
	Usage      string  `json:"usage"`
	Loss       float32 `json:"loss"`
	Layers     []int   `json:"layers"` // per slot, -1 when not live
	Frozen     int     `json:"frozen_slots"`
	// FrozenPaused counts the frozen slots that the allocator had paused
	// (bandwidth disabled: not even the lowest layer fit the estimate).
	FrozenPaused int `json:"frozen_paused_slots"`
	// IdealFit is the most an ideal allocator forwarding whole layers
	// could send under Capacity ([idealFit]), bit/s.
	IdealFit int `json:"ideal_fit_bps"`
}

// step is the reaction to one change of capacity.
type step struct {
	At   millis `json:"at_ms"`
	From int    `json:"from_bps"`
	To   int    `json:"to_bps"`
	// After is how long the offered rate took to reach 90 % of the new
	// capacity (an increase) or to get under it (a decrease); -1 if it did
	// not within the phase.
	After millis `json:"after_ms"`
}

// figures are the report's numbers.
type figures struct {
	Utilization float64 `json:"utilization"` // mean of min(delivered, capacity)/capacity
	// IdealUtilization is the mean of idealFit/capacity: the utilization
	// of an ideal allocator of whole layers, the ceiling for Utilization.
	IdealUtilization float64 `json:"ideal_fit_utilization"`
	// OfIdeal is the mean of min(delivered, capacity)/idealFit, each
	// sample capped at 1: how much of the reachable rate was used.
	OfIdeal   float64 `json:"utilization_of_ideal_fit"`
	Overshoot float64 `json:"overshoot"` // mean of max(offered-capacity, 0)/capacity
	QueueP50  millis  `json:"queue_delay_p50_ms"`
	QueueP95  millis  `json:"queue_delay_p95_ms"`
	Steps     []step  `json:"steps"`
	// FrozenTime sums, over the slots, the time a slot's picture did not
	// change for more than freezeAfter.
	FrozenTime millis `json:"frozen_ms"`
	// FrozenPausedTime is the part of FrozenTime spent paused by the
	// allocator; the rest is layer switches waiting for a keyframe and
	// stalls.
	FrozenPausedTime millis `json:"frozen_paused_ms"`
}

// compute derives the figures from samples (sampleEvery apart) and the
// schedule.
func compute(schedule []phase, samples []sample, sampleEvery time.Duration) figures {
	var f figures
	n, nIdeal := 0, 0
	for _, s := range samples {
		if s.Capacity <= 0 {
			continue
		}
		f.Utilization += float64(min(s.Delivered, s.Capacity)) / float64(s.Capacity)
		f.IdealUtilization += float64(s.IdealFit) / float64(s.Capacity)
		if s.IdealFit > 0 {
			f.OfIdeal += min(float64(min(s.Delivered, s.Capacity))/float64(s.IdealFit), 1)
			nIdeal++
		}
		f.Overshoot += float64(max(s.Offered-s.Capacity, 0)) / float64(s.Capacity)
		f.FrozenTime += millis(time.Duration(s.Frozen) * sampleEvery)
		f.FrozenPausedTime += millis(time.Duration(s.FrozenPaused) * sampleEvery)
		n++
	}
	if n > 0 {
		f.Utilization /= float64(n)
		f.IdealUtilization /= float64(n)
		f.Overshoot /= float64(n)
	}
	if nIdeal > 0 {
		f.OfIdeal /= float64(nIdeal)
	}
	for i := 1; i < len(schedule); i++ {
		p := schedule[i]
		end := testDuration
		if i+1 < len(schedule) {
			end = schedule[i+1].At
		}
		st := step{At: millis(p.At), From: schedule[i-1].Rate, To: p.Rate, After: -1}
		up := p.Rate > st.From
		for _, s := range samples {
			if s.T.D() < p.At || s.T.D() >= end {
				continue
			}
			if (up && float64(s.Offered) >= 0.9*float64(p.Rate)) || (!up && s.Offered <= p.Rate) {
				st.After = millis(s.T.D() - p.At)
				break
			}
		}
		f.Steps = append(f.Steps, st)
	}
	return f
}

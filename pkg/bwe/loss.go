package bwe

import (
	"math"
	"time"
)

// Loss-based control constants (draft-ietf-rmcat-gcc-02 §6).
const (
	lossHigh        = 0.10 // above: decrease
	lossLow         = 0.02 // below: the bound relaxes
	lossGrowth      = 1.05 // per second while loss is low
	lossMinPackets  = 20   // a loss fraction needs this many packets
	lossWindow      = int64(500 * time.Millisecond)
	lossDecreaseGap = int64(300 * time.Millisecond) // + rtt between cuts
)

// lossBound is the loss-based upper bound on the estimate. It is inactive
// (bound 0) while loss is low and the delay-based rate governs; moderate
// loss freezes the estimate where it is, high loss cuts it.
type lossBound struct {
	bound        int // bit/s, 0 when inactive
	lost         int
	expected     int
	windowStart  int64
	started      bool
	lastDecrease int64
	decreased    bool
	fraction     float64 // loss of the last evaluated window
}

// add counts feedback results: lost of expected packets were lost (lost
// may be negative when packets reported lost arrive late).
func (l *lossBound) add(lost, expected int, now int64) {
	if !l.started {
		l.windowStart, l.started = now, true
	}
	l.lost = max(l.lost+lost, 0)
	l.expected += expected
}

// evaluate closes the window once it holds enough packets and time, and
// moves the bound. current is the estimate before this feedback, delayRate
// the delay-based rate.
func (l *lossBound) evaluate(current, delayRate int, rtt, now int64) {
	span := now - l.windowStart
	if !l.started || l.expected < lossMinPackets || span < lossWindow {
		return
	}
	frac := float64(l.lost) / float64(l.expected)
	l.fraction = frac
	l.lost, l.expected, l.windowStart = 0, 0, now
	switch {
	case frac > lossHigh:
		if l.decreased && now-l.lastDecrease < lossDecreaseGap+max(rtt, 0) {
			return
		}
		base := current
		if l.bound > 0 {
			base = min(base, l.bound)
		}
		l.bound = max(int(float64(base)*(1-0.5*frac)), 1)
		l.lastDecrease, l.decreased = now, true
	case frac < lossLow:
		if l.bound == 0 {
			return
		}
		grow := math.Pow(lossGrowth, min(float64(span)/float64(time.Second), 1))
		l.bound = int(min(float64(l.bound)*grow+1000, 1<<40))
		if l.bound >= delayRate {
			l.bound = 0 // no longer binding
		}
	default:
		if l.bound == 0 {
			l.bound = max(current, 1) // hold where we are
		}
	}
}

// lift raises an active bound to rate (a probe delivered it).
func (l *lossBound) lift(rate int) {
	if l.bound > 0 && rate > l.bound {
		l.bound = rate
	}
}

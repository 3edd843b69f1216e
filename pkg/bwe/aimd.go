package bwe

import (
	"math"
	"time"
)

// AIMD constants (draft-ietf-rmcat-gcc-02 §5.5, libwebrtc's AimdRateControl).
const (
	increaseFactor   = 1.08 // multiplicative increase per second
	decreaseFactor   = 0.85 // on overuse: this × the acknowledged rate
	minIncrease      = 1000 // bit/s per update, multiplicative mode
	minAdditive      = 4000 // bit/s per second, additive mode
	assumedFrameRate = 30
	assumedPacket    = 1200 * 8 // bits
	responseExtra    = int64(100 * time.Millisecond)
	minReduceGap     = int64(10 * time.Millisecond)
	maxReduceGap     = int64(200 * time.Millisecond)
)

type rateState int8

const (
	stateHold rateState = iota
	stateIncrease
	stateDecrease
)

// aimd is the delay-based rate controller: additive/multiplicative increase
// while the detector says normal, a cut to decreaseFactor × the acknowledged
// rate on overuse, hold on underuse (a queue is draining; let it).
type aimd struct {
	rate       int // bit/s
	state      rateState
	lastChange int64 // sender ns of the last rate change
	capacity   linkCapacity
	// recent is the acknowledged rate over a short window (recentWindow),
	// set by the owner before each update. A sender that was
	// application-limited and steps up (a layer upgrade and its keyframe)
	// triggers overuse within a few hundred ms; the acknowledged window
	// then still holds mostly the old, lower rate, and a cut to 0.85 × it
	// lands below what was sent before the step. The recent rate is what
	// the link carried meanwhile, so a cut starts from the larger of the
	// two. After a capacity drop the longer window is the larger, as
	// before. The link-capacity tracking keeps the acknowledged rate.
	recent int
}

// update applies one detector verdict. acked is the acknowledged rate (0 if
// not known yet), limit the growth ceiling (0 for none), rtt the smoothed
// round-trip time; the caller clamps the result.
func (a *aimd) update(u usage, acked, limit int, rtt, now int64) {
	switch u {
	case usageOver:
		if a.state == stateDecrease || !a.timeToReduce(acked, rtt, now) {
			return
		}
		a.state = stateDecrease
	case usageUnder:
		a.state = stateHold
	default:
		if a.state == stateHold || a.state == stateDecrease {
			a.state = stateIncrease
		}
	}
	switch a.state {
	case stateIncrease:
		a.increase(acked, limit, rtt, now)
	case stateDecrease:
		a.decrease(acked, now)
		a.state = stateHold
	}
}

// timeToReduce rate-limits cuts to one per round trip, unless the
// acknowledged rate shows that the last cut was far from enough.
func (a *aimd) timeToReduce(acked int, rtt, now int64) bool {
	gap := min(max(rtt, minReduceGap), maxReduceGap)
	if now-a.lastChange >= gap {
		return true
	}
	return acked > 0 && acked < a.rate/2
}

func (a *aimd) increase(acked, limit int, rtt, now int64) {
	if a.capacity.valid && float64(acked) > a.capacity.upper() {
		// Throughput is well above what we thought the link carried: the
		// capacity changed, so ramp multiplicatively again.
		a.capacity = linkCapacity{}
	}
	dt := float64(max(now-a.lastChange, 0)) / float64(time.Second)
	var inc float64
	if a.capacity.valid {
		inc = a.additiveRate(rtt) * dt
	} else {
		alpha := math.Pow(increaseFactor, min(dt, 1))
		inc = max(float64(a.rate)*(alpha-1), minIncrease)
	}
	next := a.rate + int(min(inc, 1<<40))
	if limit > 0 {
		if a.rate >= limit {
			next = a.rate // application-limited: do not grow
		} else {
			next = min(next, limit)
		}
	}
	a.rate = next
	a.lastChange = now
}

// additiveRate is about one packet per response time, in bit/s per second:
// near the link's capacity the rate creeps up instead of jumping over it.
func (a *aimd) additiveRate(rtt int64) float64 {
	bitsPerFrame := float64(a.rate) / assumedFrameRate
	packets := math.Ceil(bitsPerFrame / assumedPacket)
	packetBits := bitsPerFrame / max(packets, 1)
	response := float64(max(rtt, 0)+responseExtra) / float64(time.Second)
	return max(minAdditive, packetBits/response)
}

func (a *aimd) decrease(acked int, now int64) {
	if acked <= 0 {
		// Nothing measured yet (start-up overuse): halve.
		a.rate /= 2
		a.lastChange = now
		return
	}
	next := decreaseFactor * float64(max(acked, a.recent))
	if next > float64(a.rate) && a.capacity.valid {
		next = decreaseFactor * a.capacity.estimate
	}
	if next < float64(a.rate) {
		a.rate = int(next)
	}
	if a.capacity.valid && float64(acked) < a.capacity.lower() {
		a.capacity = linkCapacity{}
	}
	a.capacity.update(float64(acked))
	a.lastChange = now
}

// linkCapacity tracks the acknowledged rate at which overuse happened: the
// link's capacity, with a running deviation. Near it, increases are
// additive.
type linkCapacity struct {
	estimate  float64 // bit/s
	deviation float64 // normalised variance, kbit/s
	valid     bool
}

const capacityAlpha = 0.05

func (l *linkCapacity) update(sample float64) {
	if !l.valid {
		l.estimate, l.valid = sample, true
	} else {
		l.estimate = (1-capacityAlpha)*l.estimate + capacityAlpha*sample
	}
	kb := max(l.estimate/1000, 1)
	errKb := (l.estimate - sample) / 1000
	l.deviation = (1-capacityAlpha)*l.deviation + capacityAlpha*errKb*errKb/kb
	l.deviation = min(max(l.deviation, 0.4), 2.5)
}

// spread is three standard deviations, in bit/s.
func (l *linkCapacity) spread() float64 {
	return 3 * math.Sqrt(l.deviation*l.estimate/1000) * 1000
}

func (l *linkCapacity) upper() float64 { return l.estimate + l.spread() }
func (l *linkCapacity) lower() float64 { return max(l.estimate-l.spread(), 0) }

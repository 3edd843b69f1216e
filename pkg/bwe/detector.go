package bwe

import "math"

// Overuse detector constants (draft-ietf-rmcat-gcc-02 §5.4 and §5.5, with
// libwebrtc's gains).
const (
	thresholdStart  = 12.5   // ms
	thresholdMin    = 6.0    // ms
	thresholdMax    = 600.0  // ms
	thresholdKUp    = 0.0087 // adaptation gain when |trend| exceeds it
	thresholdKDown  = 0.039  // adaptation gain when |trend| is below it
	maxAdaptOffset  = 15.0   // ms: outliers beyond threshold+15 do not adapt it
	maxAdaptDelta   = 100.0  // ms: longest step of adaptation
	overuseTimeMs   = 10.0   // overuse must last this long
	overuseMinCount = 2      // and be seen on more than one group
)

// detector compares the weighted trend with an adaptive threshold. The
// threshold adapts so that the detector is not starved by competing
// loss-based flows (large delays) yet reacts to its own queue.
type detector struct {
	threshold  float64 // ms
	lastUpdate float64 // arrival ms of the last threshold update
	updated    bool
	timeOver   float64 // ms over threshold so far, -1 when not overusing
	overCount  int
	prevTrend  float64
	hyp        usage
}

func newDetector() detector {
	return detector{threshold: thresholdStart, timeOver: -1}
}

// detect takes the raw trend, the send-time delta of the group (ms), its
// arrival time (ms) and how many deltas the trendline has seen.
func (d *detector) detect(trend, sendDeltaMs, nowMs float64, numDeltas int) usage {
	if numDeltas < 2 {
		return usageNormal
	}
	if math.IsNaN(trend) || math.IsInf(trend, 0) {
		trend = 0
	}
	modified := float64(min(numDeltas, minNumDeltas)) * trend * trendGain
	switch {
	case modified > d.threshold:
		if d.timeOver == -1 {
			// Assume the overuse started halfway between the groups.
			d.timeOver = sendDeltaMs / 2
		} else {
			d.timeOver += sendDeltaMs
		}
		d.overCount++
		if d.timeOver > overuseTimeMs && d.overCount >= overuseMinCount && trend >= d.prevTrend {
			d.timeOver, d.overCount = 0, 0
			d.hyp = usageOver
		}
	case modified < -d.threshold:
		d.timeOver, d.overCount = -1, 0
		d.hyp = usageUnder
	default:
		d.timeOver, d.overCount = -1, 0
		d.hyp = usageNormal
	}
	d.prevTrend = trend
	d.adapt(modified, nowMs)
	return d.hyp
}

// adapt moves the threshold towards |modified|: quickly down, slowly up.
func (d *detector) adapt(modified, nowMs float64) {
	if !d.updated {
		d.lastUpdate, d.updated = nowMs, true
	}
	abs := math.Abs(modified)
	if abs > d.threshold+maxAdaptOffset {
		// A spike (a route change, a sudden large queue) should not drag
		// the threshold up with it.
		d.lastUpdate = nowMs
		return
	}
	k := thresholdKUp
	if abs < d.threshold {
		k = thresholdKDown
	}
	dt := min(max(nowMs-d.lastUpdate, 0), maxAdaptDelta)
	d.threshold += k * (abs - d.threshold) * dt
	d.threshold = min(max(d.threshold, thresholdMin), thresholdMax)
	if math.IsNaN(d.threshold) {
		d.threshold = thresholdStart
	}
	d.lastUpdate = nowMs
}

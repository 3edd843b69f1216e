package bwe

import "math"

// usage is the detector's verdict on the path: is the sender filling a
// queue (over), draining one (under), or neither?
type usage int8

const (
	usageNormal usage = iota
	usageOver
	usageUnder
)

func (u usage) String() string {
	switch u {
	case usageOver:
		return "overuse"
	case usageUnder:
		return "underuse"
	default:
		return "normal"
	}
}

// Trendline filter constants (libwebrtc's TrendlineEstimator defaults,
// which implement draft-ietf-rmcat-gcc-02 §5.3 with a linear regression in
// place of the Kalman filter).
const (
	trendWindow    = 20   // groups in the regression
	trendSmoothing = 0.9  // exponential smoothing of the accumulated delay
	trendGain      = 4.0  // scales the slope before the threshold
	minNumDeltas   = 60   // the slope is weighted by min(deltas, 60)
	maxNumDeltas   = 1000 // counter bound
)

// trendline estimates the slope of the one-way queuing delay over the last
// trendWindow groups and feeds it to the overuse detector.
type trendline struct {
	xs, ys      [trendWindow]float64 // arrival ms since first, smoothed delay ms
	n, next     int                  // points held, next slot to write
	firstArrNs  int64
	started     bool
	accumulated float64 // ms
	smoothed    float64 // ms
	numDeltas   int
	trend       float64 // last slope (ms of delay per ms)
	det         detector
}

func newTrendline() trendline {
	return trendline{det: newDetector()}
}

// update adds one group delta and returns the detector's verdict.
func (t *trendline) update(d delta) usage {
	deltaMs := float64(d.arrNs-d.sendNs) / 1e6
	if !t.started {
		t.firstArrNs, t.started = d.arrAt, true
	}
	t.numDeltas = min(t.numDeltas+1, maxNumDeltas)
	t.accumulated += deltaMs
	t.smoothed = trendSmoothing*t.smoothed + (1-trendSmoothing)*t.accumulated
	t.xs[t.next] = float64(d.arrAt-t.firstArrNs) / 1e6
	t.ys[t.next] = t.smoothed
	t.next = (t.next + 1) % trendWindow
	t.n = min(t.n+1, trendWindow)
	if t.n == trendWindow {
		if s, ok := t.slope(); ok {
			t.trend = s
		}
	}
	return t.det.detect(t.trend, float64(d.sendNs)/1e6, float64(d.arrAt)/1e6, t.numDeltas)
}

// slope is the least-squares slope of ys over xs.
func (t *trendline) slope() (float64, bool) {
	var sx, sy float64
	for i := range t.n {
		sx += t.xs[i]
		sy += t.ys[i]
	}
	mx, my := sx/float64(t.n), sy/float64(t.n)
	var num, den float64
	for i := range t.n {
		dx := t.xs[i] - mx
		num += dx * (t.ys[i] - my)
		den += dx * dx
	}
	if den == 0 {
		return 0, false
	}
	s := num / den
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return 0, false
	}
	return s, true
}

// reset forgets every group (the detector's threshold is kept).
func (t *trendline) reset() {
	det := t.det
	det.hyp = usageNormal
	det.timeOver, det.overCount = -1, 0
	*t = trendline{det: det}
}

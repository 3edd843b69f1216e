package speaker

import (
	"math"
	"time"
)

// Defaults for [Options].
const (
	DefaultSwitchAfter  = time.Second
	DefaultWindow       = 1500 * time.Millisecond
	DefaultSilenceLevel = 70
	DefaultLouderBy     = 6.0
	DefaultInterval     = 100 * time.Millisecond
)

// numBuckets is how many time buckets cover Window.
const numBuckets = 30

// minBucket keeps buckets wide enough that bucket numbers of any
// representable time stay far from integer overflow.
const minBucket = time.Millisecond

// Options tune a [Detector]. Zero values (and invalid ones) mean the
// defaults.
type Options struct {
	// SwitchAfter is how much of the last Window a new speaker must be
	// clearly louder than the dominant one to take over (default 1 s). A
	// cough or a click (< 300 ms) never switches; steady talk for about
	// SwitchAfter does. It is capped at Window.
	SwitchAfter time.Duration
	// Window is the span of recent history that is scored (default 1.5 s;
	// at least 30 ms).
	Window time.Duration
	// SilenceLevel is the RFC 6464 level (-dBov) at and above which a source
	// counts as silent (default 70, i.e. -70 dBov; at most 128).
	SilenceLevel int
	// LouderBy is how many dB louder than the dominant speaker a challenger
	// must be to win a moment (default 6).
	LouderBy float64
	// Interval is the expected time between two observations of one source
	// (default 100 ms). An observation covers the time since the previous
	// one of its source, but at most 2 Intervals; the first covers one.
	Interval time.Duration
}

// config is Options resolved into bucket units.
type config struct {
	width     time.Duration // one bucket
	need      int           // buckets a challenger must win
	silence   float64
	louderBy  float64
	firstSpan int64 // buckets a source's first observation covers
	maxSpan   int64 // buckets one observation covers at most
}

func newConfig(o Options) config {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.SwitchAfter <= 0 {
		o.SwitchAfter = DefaultSwitchAfter
	}
	if o.SilenceLevel <= 0 {
		o.SilenceLevel = DefaultSilenceLevel
	}
	if !(o.LouderBy > 0) || math.IsInf(o.LouderBy, 1) { // also NaN
		o.LouderBy = DefaultLouderBy
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	c := config{
		width:    max(o.Window/numBuckets, minBucket),
		silence:  float64(min(o.SilenceLevel, 128)),
		louderBy: o.LouderBy,
	}
	c.need = int(min(ceilDiv(o.SwitchAfter, c.width), numBuckets))
	c.firstSpan = min(max(ceilDiv(o.Interval, c.width), 1), numBuckets)
	c.maxSpan = min(2*c.firstSpan, numBuckets)
	return c
}

// ceilDiv returns ceil(a/b) for positive durations.
func ceilDiv(a, b time.Duration) int64 {
	q := int64(a / b)
	if a%b != 0 {
		q++
	}
	return q
}

// energy scores one observation; see the package documentation.
func (c *config) energy(level, voiced float64) float32 {
	if !(level < c.silence) { // NaN is silence too
		return 0
	}
	switch {
	case !(voiced > 0):
		voiced = 0
	case voiced > 1:
		voiced = 1
	}
	return float32((c.silence - max(level, 0)) * (0.5 + 0.5*voiced))
}

package bwe

import (
	"fmt"
	"time"
)

// Defaults for [EstimatorOptions].
const (
	DefaultStartBitrate   = 300_000
	DefaultMinBitrate     = 30_000
	DefaultMaxBitrate     = 20_000_000
	DefaultHistorySize    = 4096
	DefaultAckedWindow    = 500 * time.Millisecond
	DefaultAppLimitFactor = 2.0
	DefaultAppLimitedHold = 5 * time.Second
	// AppLimitedHalfLife is how fast an estimate above the application
	// limit decays once AppLimitedHold has passed.
	AppLimitedHalfLife = 2 * time.Second

	// maxHistorySize keeps the history within half the 16-bit sequence
	// space, so that unwrapping a feedback sequence number is unambiguous.
	maxHistorySize = 1 << 15
	// recentWindow is the short acknowledged-rate window an overuse cut
	// also looks at (see aimd.recent).
	recentWindow = 200 * time.Millisecond
	// maxAckedWindow is what the acknowledged-rate ring can hold.
	maxAckedWindow = (rateBuckets - 1) * rateBucket
)

// EstimatorOptions configure an [Estimator]. Zero fields take the defaults.
type EstimatorOptions struct {
	// StartBitrate is the estimate before any feedback, in bit/s.
	StartBitrate int
	// MinBitrate and MaxBitrate bound the estimate, in bit/s.
	MinBitrate int
	MaxBitrate int
	// HistorySize is how many sent packets are remembered for feedback
	// (rounded up to a power of two, at most 32768). A packet whose feedback
	// arrives after HistorySize newer packets were sent is ignored.
	HistorySize int
	// AckedWindow is the arrival-time window over which the acknowledged
	// rate is measured (at most 1.27 s).
	AckedWindow time.Duration
	// AppLimitFactor limits growth of the estimate to AppLimitFactor × the
	// acknowledged rate (+ 10 kbit/s), so an application-limited sender
	// does not see the estimate run away. Values below 1 count as 1.
	AppLimitFactor float64
	// AppLimitedHold is how long the estimate may stay above the
	// application limit (after a confirmed probe lifted it, or when the
	// sender slowed down) before it decays towards the limit, halving the
	// excess every [AppLimitedHalfLife]. A short pause (a mute, a
	// keyframe wait) keeps the estimate; a long one lets it go stale
	// gently instead of keeping an unverified rate forever.
	AppLimitedHold time.Duration
}

// Validate reports, wrapping [ErrInvalidOptions], the first field that
// [NewEstimator] would have to clamp.
func (o EstimatorOptions) Validate() error {
	switch {
	case o.StartBitrate < 0, o.MinBitrate < 0, o.MaxBitrate < 0:
		return fmt.Errorf("%w: negative bit rate", ErrInvalidOptions)
	case o.HistorySize < 0 || o.HistorySize > maxHistorySize:
		return fmt.Errorf("%w: history size %d outside [0, %d]", ErrInvalidOptions, o.HistorySize, maxHistorySize)
	case o.AckedWindow < 0 || o.AckedWindow > maxAckedWindow:
		return fmt.Errorf("%w: acked window %v outside [0, %v]", ErrInvalidOptions, o.AckedWindow, maxAckedWindow)
	case o.AppLimitFactor < 0 || (o.AppLimitFactor > 0 && o.AppLimitFactor < 1):
		return fmt.Errorf("%w: app-limit factor %v below 1", ErrInvalidOptions, o.AppLimitFactor)
	case o.AppLimitedHold < 0:
		return fmt.Errorf("%w: negative probe validity", ErrInvalidOptions)
	}
	n := o.withDefaults()
	if n.MinBitrate > n.MaxBitrate {
		return fmt.Errorf("%w: min %d above max %d", ErrInvalidOptions, n.MinBitrate, n.MaxBitrate)
	}
	if n.StartBitrate < n.MinBitrate || n.StartBitrate > n.MaxBitrate {
		return fmt.Errorf("%w: start %d outside [%d, %d]", ErrInvalidOptions, n.StartBitrate, n.MinBitrate, n.MaxBitrate)
	}
	return nil
}

// withDefaults fills zero fields; it does not clamp.
func (o EstimatorOptions) withDefaults() EstimatorOptions {
	if o.StartBitrate <= 0 {
		o.StartBitrate = DefaultStartBitrate
	}
	if o.MinBitrate <= 0 {
		o.MinBitrate = DefaultMinBitrate
	}
	if o.MaxBitrate <= 0 {
		o.MaxBitrate = DefaultMaxBitrate
	}
	if o.HistorySize <= 0 {
		o.HistorySize = DefaultHistorySize
	}
	if o.AckedWindow <= 0 {
		o.AckedWindow = DefaultAckedWindow
	}
	if o.AppLimitFactor <= 0 {
		o.AppLimitFactor = DefaultAppLimitFactor
	}
	if o.AppLimitedHold <= 0 {
		o.AppLimitedHold = DefaultAppLimitedHold
	}
	return o
}

// normalized fills defaults and clamps every field into its usable range.
func (o EstimatorOptions) normalized() EstimatorOptions {
	o = o.withDefaults()
	o.MaxBitrate = max(o.MaxBitrate, o.MinBitrate)
	o.StartBitrate = min(max(o.StartBitrate, o.MinBitrate), o.MaxBitrate)
	size := 16
	for size < o.HistorySize && size < maxHistorySize {
		size <<= 1
	}
	o.HistorySize = size
	o.AckedWindow = min(max(o.AckedWindow, 2*rateBucket), maxAckedWindow)
	o.AppLimitFactor = max(o.AppLimitFactor, 1)
	return o
}

package bwe

import "time"

// EstimatorStats is a snapshot of an estimator's state for GetStats and
// metrics.
type EstimatorStats struct {
	Estimate     int           // bit/s, as [Estimator.Estimate]
	DelayBased   int           // bit/s, the AIMD rate
	LossBound    int           // bit/s, 0 when loss does not bind
	REMB         int           // bit/s, 0 when no REMB bounds the estimate
	Caps         int           // bit/s, 0 when uncapped
	Acked        int           // bit/s, as [Estimator.AckedBitrate]
	RTT          time.Duration // smoothed, including the feedback interval
	LossFraction float64       // of the last evaluated loss window
	Threshold    time.Duration // the detector's adaptive threshold
	Usage        string        // "normal", "overuse" or "underuse"
}

// Stats returns a snapshot of the estimator's state.
func (e *Estimator) Stats() EstimatorStats {
	s := EstimatorStats{
		Estimate:     e.Estimate(),
		DelayBased:   e.rc.rate,
		LossBound:    e.loss.bound,
		Caps:         e.caps,
		Acked:        e.acked.rate(),
		RTT:          time.Duration(e.rtt),
		LossFraction: e.loss.fraction,
		Threshold:    time.Duration(e.trend.det.threshold * float64(time.Millisecond)),
		Usage:        e.hyp.String(),
	}
	if e.haveREMB {
		s.REMB = e.remb
	}
	return s
}

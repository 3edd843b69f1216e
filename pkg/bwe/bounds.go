package bwe

import (
	"math"
	"time"
)

// This file holds what bounds the estimate from above: the application
// limit, REMB and the receiver's caps.

// appLimit is the ceiling on growth: AppLimitFactor × the acknowledged rate,
// or a recently proven probe rate if higher. 0 means no ceiling (nothing
// measured yet).
func (e *Estimator) appLimit(acked int, now int64) int {
	if acked <= 0 {
		return 0
	}
	limit := int(min(e.opts.AppLimitFactor*float64(acked), 1<<40)) + appLimitHeadroom
	if now < e.provenUntil {
		limit = max(limit, int(e.proven))
	}
	return limit
}

// decayAboveLimit lets an estimate that has stayed above the application
// limit for AppLimitedHold decay towards it: nothing has verified it since.
func (e *Estimator) decayAboveLimit(now int64) {
	dt := now - e.lastFeedback
	e.lastFeedback = now
	limit := e.appLimit(e.acked.rate(), now)
	if limit <= 0 || e.rc.rate <= limit {
		e.overLimit = false
		return
	}
	if !e.overLimit {
		e.overLimitSince, e.overLimit = now, true
	}
	if now-e.overLimitSince < int64(e.opts.AppLimitedHold) || dt <= 0 {
		return
	}
	excess := float64(e.rc.rate - limit)
	keep := math.Exp2(-float64(dt) / float64(AppLimitedHalfLife))
	e.rc.rate = limit + int(excess*keep)
}

// OnREMB takes a receiver-estimated maximum bitrate. Without transport-cc
// feedback (none in the last 5 s) it is the estimate; with transport-cc it
// is an upper bound, dropped if not refreshed within 5 s.
func (e *Estimator) OnREMB(bitrate int, now time.Time) {
	nowNs := e.ns(now)
	if bitrate <= 0 {
		return
	}
	e.remb, e.rembAt, e.haveREMB = bitrate, nowNs, true
	if !e.haveTWCC || nowNs-e.lastTWCC > twccTimeout {
		e.rc.rate = bitrate
		e.loss.bound = 0
	}
	e.clamp()
}

// SetCaps bounds the estimate by the receiver's caps (the sum of what its
// media requests allow), in bit/s; 0 or less removes the cap. A cap below
// MinBitrate counts as MinBitrate.
func (e *Estimator) SetCaps(maxBitrate int) {
	e.caps = max(maxBitrate, 0)
	e.clamp()
}

// maxRate is MaxBitrate lowered by the caps.
func (e *Estimator) maxRate() int {
	if e.caps > 0 {
		return min(e.opts.MaxBitrate, max(e.caps, e.opts.MinBitrate))
	}
	return e.opts.MaxBitrate
}

// clamp keeps the internal rates within [MinBitrate, maxRate] so that
// nothing grows beyond what can be used.
func (e *Estimator) clamp() {
	hi := e.maxRate()
	e.rc.rate = min(max(e.rc.rate, e.opts.MinBitrate), hi)
	if e.loss.bound > 0 {
		e.loss.bound = min(max(e.loss.bound, e.opts.MinBitrate), hi)
	}
}

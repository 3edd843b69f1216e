package simulcast

import (
	"math"
	"time"
)

// Defaults for [SelectorOptions].
const (
	DefaultUpHold   = 2 * time.Second
	DefaultUpMargin = 1.1
)

// SelectorOptions tune a [Selector]'s hysteresis.
type SelectorOptions struct {
	// UpHold is how long a higher layer must keep fitting before the
	// selector switches up to it. Zero means [DefaultUpHold]; a negative
	// value switches up at once.
	UpHold time.Duration
	// UpMargin is the headroom switching up needs: the higher layer's bit
	// rate times UpMargin must fit the budget. Zero means
	// [DefaultUpMargin]; values below 1 count as 1.
	UpMargin float64
}

// Selector picks a receive slot's layer like [Select], with hysteresis so a
// measured bit rate or budget hovering near a threshold does not make the
// choice oscillate:
//
//   - switching down (including to "bandwidth disabled") is immediate;
//   - switching up needs the higher layer to fit with UpMargin headroom, and
//     to keep fitting for UpHold;
//   - the first Update, a change of [Limits] (the receiver asked for
//     something else), the first known layer resolution (a keyframe told
//     the sizes) and the loss of the current layer are answered at once
//     with [Select]'s choice.
//
// A Selector belongs to one slot and is not safe for concurrent use; the
// room's actor owns it.
type Selector struct {
	hold    time.Duration
	margin  int // UpMargin in 1/1000, so that 1.1 compares exactly
	started bool
	sized   bool // some layer's resolution was known at the last Update
	lim     Limits
	cur     int // current layer, -1 for none
	// since[i] is when layer i (above cur) started to fit with margin.
	since [MaxSpatialLayers]time.Time
	fits  [MaxSpatialLayers]bool
}

// NewSelector returns a Selector with the given options.
func NewSelector(o SelectorOptions) *Selector {
	s := &Selector{hold: o.UpHold, cur: -1}
	switch {
	case s.hold == 0:
		s.hold = DefaultUpHold
	case s.hold < 0:
		s.hold = 0
	}
	m := o.UpMargin
	switch {
	case m == 0:
		m = DefaultUpMargin
	case !(m >= 1): // also catches NaN
		m = 1
	}
	s.margin = int(math.Round(min(m, 1000) * 1000))
	return s
}

// Update returns the layer the slot should forward at now, given the
// publisher's layers, the slot's limits and its bit-rate budget (<= 0:
// unlimited). ok is false, with index -1, when the slot is bandwidth
// disabled or the publisher has no active (or valid) layer.
func (s *Selector) Update(layers []Layer, lim Limits, budget int, now time.Time) (index int, ok bool) {
	set, err := newLayerSet(layers)
	if err != nil {
		return s.set(-1)
	}
	down, ok, err := set.pick(lim, budget, 1000)
	if err != nil || !ok {
		down = -1
	}
	sized := set.sized()
	if !s.started || lim != s.lim || sized != s.sized || (s.cur >= 0 && !set.active(s.cur)) || down < s.cur {
		s.started, s.lim, s.sized = true, lim, sized
		return s.set(down)
	}
	up, ok, err := set.pick(lim, budget, s.margin)
	if err != nil || !ok {
		up = -1
	}
	limit := rateCap(lim.MaxBitrate, budget)
	for i := range s.fits {
		// A layer below up is a candidate only if it fits on its own:
		// measured rates need not grow with the index.
		eligible := i > s.cur && i <= up && set.active(i) &&
			(i == up || set.fitsResolution(i, lim) && set.fitsRate(i, limit, s.margin))
		switch {
		case !eligible:
			s.fits[i] = false
		case !s.fits[i] || now.Before(s.since[i]): // time going back restarts the hold
			s.fits[i], s.since[i] = true, now
		}
	}
	for i := up; i > s.cur; i-- {
		if s.fits[i] && now.Sub(s.since[i]) >= s.hold {
			// Layers above i keep their hold: they have been fitting too.
			s.cur = i
			return i, true
		}
	}
	return s.cur, s.cur >= 0
}

// set makes i the current layer and forgets pending switches up.
func (s *Selector) set(i int) (int, bool) {
	s.cur = i
	s.fits = [MaxSpatialLayers]bool{}
	return i, i >= 0
}

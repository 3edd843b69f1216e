package simulcast

import "math/bits"

// Select returns the spatial layer a receive slot should forward.
//
// It picks the highest active layer whose resolution fits lim and whose bit
// rate (measured, else nominal) fits min(budget, lim.MaxBitrate); a budget
// <= 0 means unlimited. Layers of unknown resolution take it from the highest
// layer with a known one, halved or doubled per index step; if no layer has a
// known resolution yet, every layer fits a slot without resolution limits and
// only the lowest active layer fits a limited one.
//
// If no active layer fits the resolution limits, the lowest active layer is
// chosen: a thumbnail still shows something. If that layer exceeds the bit
// rate, ok is false and index -1: the slot is "bandwidth disabled". If no
// layer is active, it returns -1, false and [ErrNoActiveLayer]; malformed
// layers give [ErrInvalidLayer]. layers may be in any order.
func Select(layers []Layer, lim Limits, budget int) (index int, ok bool, err error) {
	s, err := newLayerSet(layers)
	if err != nil {
		return -1, false, err
	}
	return s.pick(lim, budget, 1000)
}

// pick implements Select, requiring bitrate*milliMargin/1000 to fit the
// bit-rate cap.
func (s *layerSet) pick(lim Limits, budget int, milliMargin int) (int, bool, error) {
	limit := rateCap(lim.MaxBitrate, budget)
	lowest := -1
	for i := MaxSpatialLayers - 1; i >= 0; i-- {
		if !s.active(i) {
			continue
		}
		lowest = i
		if s.fitsResolution(i, lim) && s.fitsRate(i, limit, milliMargin) {
			return i, true, nil
		}
	}
	switch {
	case lowest < 0:
		return -1, false, ErrNoActiveLayer
	case s.fitsRate(lowest, limit, milliMargin):
		return lowest, true, nil
	default:
		return -1, false, nil
	}
}

// fitsRate reports whether layer i's bit rate times milliMargin/1000 fits
// limit (<= 0: unlimited).
func (s *layerSet) fitsRate(i, limit, milliMargin int) bool {
	return limit <= 0 || mulLE(s[i].bitrate(), milliMargin, limit, 1000)
}

// rateCap is the smaller of two bit-rate limits, ignoring non-positive
// ones; 0 means unlimited.
func rateCap(a, b int) int {
	switch {
	case a <= 0:
		return max(b, 0)
	case b <= 0:
		return a
	default:
		return min(a, b)
	}
}

// mulLE reports whether a*b <= c*d for non-negative operands, without
// overflow.
func mulLE(a, b, c, d int) bool {
	h1, l1 := bits.Mul64(uint64(a), uint64(b))
	h2, l2 := bits.Mul64(uint64(c), uint64(d))
	return h1 < h2 || h1 == h2 && l1 <= l2
}

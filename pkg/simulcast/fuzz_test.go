package simulcast

import (
	"errors"
	"testing"
	"time"
)

// FuzzSelector checks Select and Selector invariants on arbitrary layers,
// limits, budgets and clocks: never a panic, the answer is an active layer
// or -1, ok tells them apart, Select agrees with its errors, and Update
// never goes above Select.
func FuzzSelector(f *testing.F) {
	f.Add([]byte{7, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0xff, 0x10, 0x20, 0x30, 0x80, 0x01, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		next := func() int {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return int(b)
		}
		s := NewSelector(SelectorOptions{UpHold: time.Duration(next()-64) * 50 * time.Millisecond, UpMargin: float64(next()) / 64})
		now := time.Unix(1000, 0)
		for len(data) > 0 {
			mask := next()
			var layers []Layer
			for i := 0; i < MaxSpatialLayers+1; i++ {
				if mask&(1<<i) != 0 {
					layers = append(layers, Layer{
						Index:   (i + next()/200) % (MaxSpatialLayers + 1),
						Width:   next() * 8,
						Height:  next() * 8,
						Bitrate: next() * 10_000,
						Active:  mask&(16<<i) != 0,
					})
				}
			}
			lim := Limits{MaxFs: next() * 32, MaxWidth: next() * 8, MaxHeight: next() * 8, MaxBitrate: next() * 20_000}
			budget := next()*20_000 - 100_000
			now = now.Add(time.Duration(next()-32) * 100 * time.Millisecond)

			idx, ok, err := Select(layers, lim, budget)
			check(t, "Select", layers, idx, ok)
			if err != nil && (ok || !errors.Is(err, ErrNoActiveLayer) && !errors.Is(err, ErrInvalidLayer)) {
				t.Fatalf("Select = (%d, %v, %v)", idx, ok, err)
			}
			got, gotOK := s.Update(layers, lim, budget, now)
			check(t, "Update", layers, got, gotOK)
			if got > idx { // hysteresis only ever holds back
				t.Fatalf("Update = %d above Select = %d", got, idx)
			}
		}
	})
}

func check(t *testing.T, what string, layers []Layer, idx int, ok bool) {
	t.Helper()
	if ok != (idx >= 0) {
		t.Fatalf("%s = (%d, %v): ok must mean index >= 0", what, idx, ok)
	}
	if !ok {
		return
	}
	for _, l := range layers {
		if l.Index == idx && l.Active {
			return
		}
	}
	t.Fatalf("%s picked %d, not an active layer of %+v", what, idx, layers)
}

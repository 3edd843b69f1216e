package speaker

import (
	"math"
	"testing"
	"time"
)

// Fuzz ops, one byte each followed by their arguments.
const (
	fuzzObserve  = iota // src, level, voiced, dt
	fuzzTalk            // src, level, steps: observe all and evaluate, 100 ms apart
	fuzzEvaluate        // dt
	fuzzRemove          // src
	fuzzSpeakers        // n
	fuzzOps
)

var (
	fuzzSources = []uint32{1, 2, 3, 0, math.MaxUint32}
	fuzzLevels  = []float64{0, 10, 40, 69, 70, 127, 200, -5, math.NaN(), math.Inf(-1)}
)

// FuzzDetector runs arbitrary Observe/Evaluate/Remove/Speakers sequences,
// with time free to jump either way, and checks that nothing panics, the
// dominant speaker is always a known source, Speakers lists known sources
// once each with the dominant first, and Evaluate reports every change.
func FuzzDetector(f *testing.F) {
	f.Add([]byte{0, fuzzTalk, 0, 2, 20, fuzzTalk, 1, 2, 20, fuzzRemove, 1, fuzzEvaluate, 1, fuzzSpeakers, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := data[:min(len(data), 512)] // long inputs only slow the fuzzer down
		next := func() int {
			if len(in) == 0 {
				return 0
			}
			b := in[0]
			in = in[1:]
			return int(b)
		}
		opts := Options{}
		if o := next(); o%2 == 1 {
			opts = Options{SwitchAfter: time.Duration(o) * 10 * ms, Window: time.Duration(next()) * 20 * ms,
				SilenceLevel: next(), LouderBy: float64(next() % 20), Interval: time.Duration(next()) * 5 * ms}
		}
		d := NewDetector(opts)
		known := map[uint32]bool{}
		now := t0
		lastDom, lastOK := d.Dominant()
		evaluate := func(at time.Time) {
			changed := d.Evaluate(at)
			dom, ok := d.Dominant()
			if !changed && (dom != lastDom || ok != lastOK) {
				t.Fatalf("dominant went from (%d, %v) to (%d, %v) unreported", lastDom, lastOK, dom, ok)
			}
			lastDom, lastOK = dom, ok
		}
		for len(in) > 0 {
			switch next() % fuzzOps {
			case fuzzObserve:
				src, level := fuzzSources[next()%len(fuzzSources)], fuzzLevels[next()%len(fuzzLevels)]
				voiced := float64(next()-50) / 100
				now = now.Add(time.Duration(int8(next())) * 10 * ms)
				d.Observe(src, level, voiced, now)
				known[src] = true
			case fuzzTalk:
				src, level := fuzzSources[next()%len(fuzzSources)], fuzzLevels[next()%len(fuzzLevels)]
				for range next() % 40 {
					now = now.Add(100 * ms)
					for other := range known {
						d.Observe(other, silent, 0, now)
					}
					d.Observe(src, level, 1, now)
					known[src] = true
					evaluate(now)
				}
			case fuzzEvaluate:
				now = now.Add(time.Duration(int8(next())) * 10 * ms)
				evaluate(now)
			case fuzzRemove:
				src := fuzzSources[next()%len(fuzzSources)]
				d.Remove(src)
				delete(known, src)
			case fuzzSpeakers:
				checkSpeakers(t, d, next()%8-1, known)
			}
			if dom, ok := d.Dominant(); ok && !known[dom] {
				t.Fatalf("dominant %d is not a known source", dom)
			}
		}
		checkSpeakers(t, d, len(known)+1, known)
	})
}

func checkSpeakers(t *testing.T, d *Detector, n int, known map[uint32]bool) {
	t.Helper()
	got := d.Speakers(n)
	if want := min(max(n, 0), len(known)); len(got) != want {
		t.Fatalf("Speakers(%d) = %v, want %d sources of %v", n, got, want, known)
	}
	seen := map[uint32]bool{}
	for _, s := range got {
		if !known[s] || seen[s] {
			t.Fatalf("Speakers(%d) = %v: unknown or repeated %d", n, got, s)
		}
		seen[s] = true
	}
	if dom, ok := d.Dominant(); ok && len(got) > 0 && got[0] != dom {
		t.Fatalf("Speakers(%d) = %v, dominant %d not first", n, got, dom)
	}
}

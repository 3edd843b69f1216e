package main

import (
	"math"
	"slices"
	"time"
)

// percentile returns the nearest-rank q-quantile (0..1) of xs; 0 if empty.
// xs is not modified.
func percentile(xs []time.Duration, q float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(q * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

// Dist summarises a set of durations in milliseconds.
type Dist struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func distOf(xs []time.Duration) Dist {
	if len(xs) == 0 {
		return Dist{}
	}
	return Dist{N: len(xs), P50: round(ms(percentile(xs, 0.5)), 3), P99: round(ms(percentile(xs, 0.99)), 3), Max: round(ms(slices.Max(xs)), 3)}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// perUnit divides safely: 0 when the divisor is 0.
func perUnit(x, n float64) float64 {
	if n == 0 {
		return 0
	}
	return x / n
}

// round keeps n significant decimals, so the JSON stays readable.
func round(x float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(x*p) / p
}

package main

import (
	"math"
	"testing"
	"time"

	"github.com/switchyard-sfu/switchyard/pkg/client"
)

func TestPercentile(t *testing.T) {
	var xs []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		xs = append(xs, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		q    float64
		want time.Duration
	}{{0, time.Millisecond}, {0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}}
	for _, tc := range tests {
		if got := percentile(xs, tc.q); got != tc.want {
			t.Errorf("q %.2f: got %v, want %v", tc.q, got, tc.want)
		}
	}
	if xs[0] != 100*time.Millisecond {
		t.Error("percentile sorted its input")
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("empty: %v", got)
	}
	if got := percentile([]time.Duration{7}, 0.99); got != 7 {
		t.Errorf("one value: %v", got)
	}
}

func TestDistOf(t *testing.T) {
	d := distOf([]time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond})
	if d != (Dist{N: 3, P50: 2, P99: 3, Max: 3}) {
		t.Errorf("got %+v", d)
	}
	if (distOf(nil) != Dist{}) {
		t.Error("empty dist not zero")
	}
}

func TestPerUnitAndRound(t *testing.T) {
	if perUnit(5, 0) != 0 || perUnit(6, 3) != 2 {
		t.Error("perUnit")
	}
	if round(1.23456, 2) != 1.23 || round(2.5, 0) != 3 {
		t.Error("round")
	}
}

// The client's latency histogram, as the bench uses it: quantiles within
// the bucket resolution, merged over tracks, differenced over a window.
func TestLatencyHistogram(t *testing.T) {
	var h client.LatencyHistogram
	if h.Quantile(0.5) != 0 || h.Count() != 0 {
		t.Fatal("empty histogram")
	}
	// 1..10000 µs, uniformly.
	for us := 1; us <= 10000; us++ {
		h.Record(time.Duration(us) * time.Microsecond)
	}
	for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 1} {
		want := q * 10000 * float64(time.Microsecond)
		got := float64(h.Quantile(q))
		if math.Abs(got-want)/want > 1.0/16+0.001 {
			t.Errorf("q %.2f: got %v, want about %v", q, time.Duration(got), time.Duration(want))
		}
	}
	// Sub of an earlier snapshot keeps only what came after it.
	before := h
	for range 100 {
		h.Record(time.Second)
	}
	d := h.Sub(before)
	if d.Count() != 100 || d.Quantile(0.5) < 940*time.Millisecond || d.Quantile(0.5) > 1060*time.Millisecond {
		t.Errorf("window: %d samples, p50 %v", d.Count(), d.Quantile(0.5))
	}
	var all client.LatencyHistogram
	all.Add(before)
	all.Add(d)
	if all != h {
		t.Error("Add of the parts differs from the whole")
	}
	// Out-of-range values land in the end buckets.
	var edges client.LatencyHistogram
	edges.Record(-time.Millisecond)
	edges.Record(0)
	edges.Record(100 * time.Hour)
	if edges.Quantile(0.5) != 0 || edges.Quantile(1) < time.Hour {
		t.Errorf("edges: p50 %v max %v", edges.Quantile(0.5), edges.Quantile(1))
	}
}

func TestParseSteps(t *testing.T) {
	got, err := parseSteps("5, 10,20")
	if err != nil || len(got) != 3 || got[0] != 5 || got[2] != 20 {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "10,5", "0", "x", "5,5"} {
		if _, err := parseSteps(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-scenario", "webinar,meeting,join-storm", "-steps", "5,10", "-name", "x"})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.scenarios) != 3 || o.name != "x" || o.window != 10*time.Second || o.box.cpus < 1 {
		t.Errorf("options %+v", o)
	}
	for _, args := range [][]string{{"-scenario", "nope"}, {"-window", "500ms"}, {"-steps", "3,2"}, {"extra"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

package main

import (
	"testing"
	"time"
)

func TestCompute(t *testing.T) {
	schedule := []phase{{0, 1000}, {time.Second, 2000}, {2 * time.Second, 500}}
	var samples []sample
	for i := range 30 {
		at := time.Duration(i) * 100 * time.Millisecond
		c := capacityAt(schedule, at)
		s := sample{T: at, Capacity: c, Offered: c, Delivered: c}
		switch {
		case at >= time.Second && at < 1500*time.Millisecond: // ramps up in 0.5 s
			s.Offered, s.Delivered = 1000, 1000
		case at >= 2*time.Second && at < 2300*time.Millisecond: // 0.3 s to get under
			s.Offered, s.Delivered = 2000, 500
			s.Frozen = 1
		}
		samples = append(samples, s)
	}
	f := compute(schedule, samples, 100*time.Millisecond)
	if len(f.Steps) != 2 || f.Steps[0].After != 500*time.Millisecond || f.Steps[1].After != 300*time.Millisecond {
		t.Fatalf("steps %+v", f.Steps)
	}
	if want := (25 + 5*0.5) / 30; f.Utilization < want-1e-9 || f.Utilization > want+1e-9 {
		t.Fatalf("utilization %v, want %v", f.Utilization, want)
	}
	if want := 3 * 3.0 / 30; f.Overshoot < want-1e-9 || f.Overshoot > want+1e-9 {
		t.Fatalf("overshoot %v, want %v", f.Overshoot, want)
	}
	if f.FrozenTime != 300*time.Millisecond {
		t.Fatalf("frozen %v", f.FrozenTime)
	}
}

func TestStepNotReached(t *testing.T) {
	schedule := []phase{{0, 1000}, {time.Second, 5000}}
	samples := []sample{{T: 1100 * time.Millisecond, Capacity: 5000, Offered: 1000}}
	if f := compute(schedule, samples, 100*time.Millisecond); f.Steps[0].After != -1 {
		t.Fatalf("steps %+v", f.Steps)
	}
}

package main

import (
	"encoding/json"
	"testing"
	"time"
)

func TestCompute(t *testing.T) {
	schedule := []phase{{0, 1000}, {time.Second, 2000}, {2 * time.Second, 500}}
	var samples []sample
	for i := range 30 {
		at := time.Duration(i) * 100 * time.Millisecond
		c := capacityAt(schedule, at)
		s := sample{T: millis(at), Capacity: c, Offered: c, Delivered: c}
		switch {
		case at >= time.Second && at < 1500*time.Millisecond: // ramps up in 0.5 s
			s.Offered, s.Delivered = 1000, 1000
		case at >= 2*time.Second && at < 2300*time.Millisecond: // 0.3 s to get under
			s.Offered, s.Delivered = 2000, 500
			s.Frozen, s.FrozenPaused = 1, 1
		}
		samples = append(samples, s)
	}
	f := compute(schedule, samples, 100*time.Millisecond)
	if len(f.Steps) != 2 || f.Steps[0].After.D() != 500*time.Millisecond || f.Steps[1].After.D() != 300*time.Millisecond {
		t.Fatalf("steps %+v", f.Steps)
	}
	if want := (25 + 5*0.5) / 30; f.Utilization < want-1e-9 || f.Utilization > want+1e-9 {
		t.Fatalf("utilization %v, want %v", f.Utilization, want)
	}
	if want := 3 * 3.0 / 30; f.Overshoot < want-1e-9 || f.Overshoot > want+1e-9 {
		t.Fatalf("overshoot %v, want %v", f.Overshoot, want)
	}
	if f.FrozenTime.D() != 300*time.Millisecond || f.FrozenPausedTime.D() != 300*time.Millisecond {
		t.Fatalf("frozen %v, paused %v", f.FrozenTime, f.FrozenPausedTime)
	}
}

func TestStepNotReached(t *testing.T) {
	schedule := []phase{{0, 1000}, {time.Second, 5000}}
	samples := []sample{{T: millis(1100 * time.Millisecond), Capacity: 5000, Offered: 1000}}
	if f := compute(schedule, samples, 100*time.Millisecond); f.Steps[0].After != -1 {
		t.Fatalf("steps %+v", f.Steps)
	}
}

func TestIdealFit(t *testing.T) {
	rates := []int{100, 300, 900}
	for _, c := range []struct {
		capacity, slots int
		allOn           bool
		want            int
	}{
		{1000, 3, false, 1000}, // 900 + 100
		{2500, 3, false, 2100}, // 900 + 900 + 300
		{600, 3, false, 600},   // 300 + 300, one slot off
		{600, 3, true, 500},    // 300 + 100 + 100
		{1000, 3, true, 900},   // 300 + 300 + 300 (900 + 100 + 100 is over)
		{250, 3, true, 0},      // the lowest layers do not fit
		{250, 3, false, 200},
		{99, 3, false, 0},
		{5000, 3, false, 2700},
	} {
		if got := idealFit(c.capacity, rates, c.slots, c.allOn); got != c.want {
			t.Errorf("idealFit(%d, %d slots, allOn %v) = %d, want %d", c.capacity, c.slots, c.allOn, got, c.want)
		}
	}
}

func TestComputeIdealFit(t *testing.T) {
	samples := []sample{
		{T: 0, Capacity: 2500, IdealFit: 2100, Delivered: 1050},                              // half the ideal fit
		{T: millis(100 * time.Millisecond), Capacity: 1000, IdealFit: 1000, Delivered: 1200}, // capped at 1
		{T: millis(200 * time.Millisecond), Capacity: 50, IdealFit: 0, Delivered: 50},        // nothing fits: left out
	}
	f := compute([]phase{{0, 2500}}, samples, 100*time.Millisecond)
	if want := (2100.0/2500 + 1 + 0) / 3; f.IdealUtilization < want-1e-9 || f.IdealUtilization > want+1e-9 {
		t.Fatalf("ideal utilization %v, want %v", f.IdealUtilization, want)
	}
	if want := (0.5 + 1) / 2; f.OfIdeal < want-1e-9 || f.OfIdeal > want+1e-9 {
		t.Fatalf("of ideal %v, want %v", f.OfIdeal, want)
	}
}

func TestResultsInMilliseconds(t *testing.T) {
	b, err := json.Marshal(step{At: millis(40 * time.Second), From: 1, To: 2, After: millis(1500 * time.Microsecond)})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"at_ms":40000,"from_bps":1,"to_bps":2,"after_ms":1.5}`; string(b) != want {
		t.Fatalf("%s, want %s", b, want)
	}
	b, _ = json.Marshal(phase{At: 40 * time.Second, Rate: 2_500_000})
	if want := `{"at_ms":40000,"rate_bps":2500000}`; string(b) != want {
		t.Fatalf("phase: %s, want %s", b, want)
	}
	b, _ = json.Marshal(step{After: -1})
	if want := `{"at_ms":0,"from_bps":0,"to_bps":0,"after_ms":null}`; string(b) != want {
		t.Fatalf("not reached: %s, want %s", b, want)
	}
}

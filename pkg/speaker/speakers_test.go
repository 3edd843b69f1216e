package speaker

import (
	"slices"
	"testing"
)

func TestSpeakersOrder(t *testing.T) {
	d := NewDetector(Options{})
	srcs := []uint32{10, 20, 30, 40, 50, 60, 70}
	talks := []talk{
		{10, 0, 3 * sec, 40},                  // dominant, silent since 3 s
		{40, sec, sec + 200*ms, 40},           // spoke long ago
		{50, 2 * sec, 2*sec + 200*ms, 50},     // spoke less long ago
		{20, 4*sec + 500*ms, 5 * sec, 30},     // most energy in the window
		{30, 4*sec + 800*ms, 5 * sec, 30},     // less energy in the window
		{70, 4*sec + 900*ms, 5 * sec, silent}, // never above silence
	}
	sim(d, srcs, talks, 0, 5*sec, 100*ms)
	wantDominant(t, d, 10, true)
	tests := []struct {
		n    int
		want []uint32
	}{
		{-1, nil},
		{0, nil},
		{1, []uint32{10}},
		{3, []uint32{10, 20, 30}},
		{7, []uint32{10, 20, 30, 50, 40, 60, 70}},
		{100, []uint32{10, 20, 30, 50, 40, 60, 70}},
	}
	for _, tt := range tests {
		if got := d.Speakers(tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("Speakers(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestSpeakersEmpty(t *testing.T) {
	d := NewDetector(Options{})
	if got := d.Speakers(5); got != nil {
		t.Fatalf("Speakers on an empty detector = %v, want nil", got)
	}
	d.Observe(1, silent, 0, t0)
	d.Remove(1)
	if got := d.Speakers(5); got != nil {
		t.Fatalf("Speakers after removing everyone = %v, want nil", got)
	}
}

func TestTiesAreStable(t *testing.T) {
	d := NewDetector(Options{})
	// 2 is observed before 1, and both say exactly the same.
	talks := []talk{{2, 0, 3 * sec, 40}, {1, 0, 3 * sec, 40}}
	got := sim(d, []uint32{2, 1, 4, 3}, talks, 0, 3*sec, 100*ms)
	wantChanges(t, got, []change{{sec, 2, true}}, 100*ms)
	for range 3 {
		if got := d.Speakers(4); !slices.Equal(got, []uint32{2, 1, 4, 3}) {
			t.Fatalf("Speakers = %v, want [2 1 4 3]", got)
		}
	}
	d.Remove(2)
	wantDominant(t, d, 1, true)

	// Without a dominant speaker the first seen of equals leads.
	d = NewDetector(Options{})
	sim(d, []uint32{5, 6, 7}, []talk{{6, 0, 300 * ms, 40}, {7, 0, 300 * ms, 40}}, 0, sec, 100*ms)
	wantDominant(t, d, 0, false)
	if got := d.Speakers(3); !slices.Equal(got, []uint32{6, 7, 5}) {
		t.Fatalf("Speakers = %v, want [6 7 5]", got)
	}
}

func TestSpeakersAllocatesOnlyTheResult(t *testing.T) {
	d := NewDetector(Options{})
	var srcs []uint32
	var talks []talk
	for i := range uint32(50) {
		srcs = append(srcs, i)
		talks = append(talks, talk{i, 0, sec, float64(20 + i%40)})
	}
	sim(d, srcs, talks, 0, 2*sec, 100*ms)
	for _, n := range []int{1, 5, 50, 500} {
		if a := testing.AllocsPerRun(50, func() { d.Speakers(n) }); a != 1 {
			t.Errorf("Speakers(%d) allocates %v times, want 1", n, a)
		}
	}
	if a := testing.AllocsPerRun(50, func() { d.Evaluate(t0.Add(2 * sec)) }); a != 0 {
		t.Errorf("Evaluate allocates %v times, want 0", a)
	}
}

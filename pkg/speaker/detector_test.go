package speaker

import (
	"math"
	"testing"
	"time"
)

func TestDominantScenarios(t *testing.T) {
	srcs := []uint32{1, 2, 3}
	tests := []struct {
		name  string
		talks []talk
		end   time.Duration
		want  []change
		slack time.Duration
	}{
		{"steady single talker becomes dominant",
			[]talk{{1, 0, 10 * sec, 40}}, 10 * sec,
			[]change{{sec, 1, true}}, 100 * ms},
		{"quiet talker above silence still becomes dominant",
			[]talk{{2, 0, 5 * sec, 60}}, 5 * sec,
			[]change{{sec, 2, true}}, 100 * ms},
		{"nobody speaks: no dominant",
			nil, 10 * sec, nil, 0},
		{"sound at the silence level is silence",
			[]talk{{1, 0, 5 * sec, DefaultSilenceLevel}}, 5 * sec, nil, 0},
		{"a lone 200 ms blip never makes a dominant",
			[]talk{{2, sec, sec + 200*ms, 0}}, 5 * sec, nil, 0},
		{"200 ms blip over the dominant does not switch",
			[]talk{{1, 0, 10 * sec, 40}, {2, 5 * sec, 5*sec + 200*ms, 0}}, 10 * sec,
			[]change{{sec, 1, true}}, 100 * ms},
		{"290 ms cough while the dominant is silent does not switch",
			[]talk{{1, 0, 3 * sec, 40}, {2, 5 * sec, 5*sec + 290*ms, 10}}, 10 * sec,
			[]change{{sec, 1, true}}, 100 * ms},
		{"two coughs 600 ms apart do not switch",
			[]talk{{1, 0, 3 * sec, 40}, {2, 5 * sec, 5*sec + 250*ms, 10}, {2, 5*sec + 850*ms, 6*sec + 100*ms, 10}}, 10 * sec,
			[]change{{sec, 1, true}}, 100 * ms},
		{"new talker after the dominant stops switches after about 1 s",
			[]talk{{1, 0, 3 * sec, 40}, {2, 4 * sec, 8 * sec, 40}}, 10 * sec,
			[]change{{sec, 1, true}, {5 * sec, 2, true}}, 100 * ms},
		{"new talker speaking 1.1 s switches",
			[]talk{{1, 0, 3 * sec, 40}, {2, 4 * sec, 5*sec + 100*ms, 40}}, 10 * sec,
			[]change{{sec, 1, true}, {5 * sec, 2, true}}, 100 * ms},
		{"much louder talker interrupting switches",
			[]talk{{1, 0, 10 * sec, 50}, {2, 4 * sec, 10 * sec, 20}}, 10 * sec,
			[]change{{sec, 1, true}, {5 * sec, 2, true}}, 100 * ms},
		{"talking over at the same level does not switch",
			[]talk{{1, 0, 10 * sec, 40}, {2, 4 * sec, 10 * sec, 40}}, 10 * sec,
			[]change{{sec, 1, true}}, 0},
		{"3 dB louder is not clearly louder",
			[]talk{{1, 0, 10 * sec, 40}, {2, 4 * sec, 10 * sec, 37}}, 10 * sec,
			[]change{{sec, 1, true}}, 0},
		{"silence keeps the last dominant",
			[]talk{{1, 0, 2 * sec, 40}, {2, 3 * sec, 6 * sec, 30}}, 60 * sec,
			[]change{{sec, 1, true}, {4 * sec, 2, true}}, 100 * ms},
		{"back and forth conversation",
			[]talk{{1, 0, 3 * sec, 40}, {2, 3 * sec, 6 * sec, 40}, {1, 6 * sec, 9 * sec, 40}}, 10 * sec,
			[]change{{sec, 1, true}, {4 * sec, 2, true}, {7 * sec, 1, true}}, 100 * ms},
		{"of two challengers the one with more won time wins",
			[]talk{{1, 0, 2 * sec, 40}, {2, 3 * sec, 6 * sec, 40}, {3, 3*sec + 300*ms, 6 * sec, 40}}, 6 * sec,
			[]change{{sec, 1, true}, {4 * sec, 2, true}}, 100 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDetector(Options{})
			got := sim(d, srcs, tt.talks, 0, tt.end, 100*ms)
			wantChanges(t, got, tt.want, tt.slack)
		})
	}
}

func TestObservationCadence(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		step time.Duration
	}{
		{"every 20 ms", Options{}, 20 * ms},
		{"every 50 ms", Options{}, 50 * ms},
		{"every 100 ms", Options{}, 100 * ms},
		{"every 250 ms with Interval set", Options{Interval: 250 * ms}, 250 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDetector(tt.opts)
			talks := []talk{{1, 0, 3 * sec, 40}, {2, 4 * sec, 8 * sec, 40}}
			got := sim(d, []uint32{1, 2}, talks, 0, 8*sec, tt.step)
			// Buckets quantize time to 50 ms, and the first observation
			// covers one Interval, so allow a little early.
			wantChanges(t, got, []change{{900 * ms, 1, true}, {4900 * ms, 2, true}}, 400*ms)
		})
	}
}

func TestCustomOptions(t *testing.T) {
	d := NewDetector(Options{SwitchAfter: 400 * ms, Window: 600 * ms, SilenceLevel: 50, LouderBy: 3})
	talks := []talk{
		{1, 0, 2 * sec, 55},             // silence at SilenceLevel 50
		{2, 0, 2 * sec, 40},             // speech
		{3, 3 * sec, 4 * sec, 37},       // 3 dB over 2: enough with LouderBy 3
		{2, 3 * sec, 4 * sec, 40},       //
		{1, 5 * sec, 5*sec + 300*ms, 0}, // shorter than SwitchAfter
	}
	got := sim(d, []uint32{1, 2, 3}, talks, 0, 6*sec, 100*ms)
	wantChanges(t, got, []change{{400 * ms, 2, true}, {3*sec + 400*ms, 3, true}}, 100*ms)
}

func TestRemove(t *testing.T) {
	d := NewDetector(Options{})
	talks := []talk{{1, 0, 3 * sec, 40}, {2, 3 * sec, 3*sec + 500*ms, 40}}
	sim(d, []uint32{1, 2, 3, 4}, talks, 0, 4*sec, 100*ms)
	wantDominant(t, d, 1, true)

	d.Remove(99) // unknown: nothing happens
	d.Remove(3)  // not dominant: nothing happens
	if d.Evaluate(t0.Add(4 * sec)) {
		t.Fatal("Evaluate after removing a non-dominant source reported a change")
	}
	wantDominant(t, d, 1, true)

	d.Remove(1) // dominant: 2 spoke, 4 never did
	wantDominant(t, d, 2, true)
	if !d.Evaluate(t0.Add(4 * sec)) {
		t.Fatal("Evaluate after removing the dominant did not report the change")
	}
	if d.Evaluate(t0.Add(4 * sec)) {
		t.Fatal("change reported twice")
	}

	d.Remove(2) // only 4 is left and it never spoke
	wantDominant(t, d, 0, false)
	if !d.Evaluate(t0.Add(4 * sec)) {
		t.Fatal("losing the dominant speaker was not reported")
	}
	if got := d.Speakers(10); len(got) != 1 || got[0] != 4 {
		t.Fatalf("Speakers = %v, want [4]", got)
	}

	// A removed source that comes back starts from scratch.
	d.Observe(1, 40, 1, t0.Add(4*sec+100*ms))
	d.Evaluate(t0.Add(4*sec + 100*ms))
	wantDominant(t, d, 0, false)
}

func TestRemovePicksMostActive(t *testing.T) {
	d := NewDetector(Options{})
	talks := []talk{
		{1, 0, 5 * sec, 40},
		{2, 4 * sec, 4*sec + 200*ms, 40}, // spoke recently but briefly
		{3, 4 * sec, 4*sec + 600*ms, 40}, // spoke more in the window
		{4, 0, 200 * ms, 10},             // spoke long ago
	}
	sim(d, []uint32{1, 2, 3, 4}, talks, 0, 5*sec, 100*ms)
	d.Remove(1)
	wantDominant(t, d, 3, true)
}

func TestTimeGoingBackwards(t *testing.T) {
	d := NewDetector(Options{})
	sim(d, []uint32{1, 2}, []talk{{1, 0, 3 * sec, 40}}, 0, 3*sec, 100*ms)
	wantDominant(t, d, 1, true)

	// Late, loud observations of 2 from the past are ignored once 2 has
	// been observed later.
	for at := 3 * sec; at > sec; at -= 100 * ms {
		d.Observe(2, 0, 1, t0.Add(at))
		d.Observe(2, 0, 1, t0.Add(at)) // duplicate
		if d.Evaluate(t0.Add(at)) {
			t.Fatalf("Evaluate at %v (going backwards) reported a change", at)
		}
	}
	wantDominant(t, d, 1, true)
	if got := d.Speakers(2); got[0] != 1 || got[1] != 2 {
		t.Fatalf("Speakers = %v, want [1 2]", got)
	}

	// Extreme times do not panic and keep the dominant speaker.
	for _, at := range []time.Time{{}, t0.Add(-math.MaxInt64), t0.Add(math.MaxInt64), time.Unix(1<<62, 0)} {
		d.Observe(3, 0, 1, at)
		d.Evaluate(at)
		d.Speakers(3)
	}
	wantDominant(t, d, 1, true)
}

func TestBadValues(t *testing.T) {
	d := NewDetector(Options{})
	at := t0
	for i := 0; i < 20; i++ {
		at = at.Add(100 * ms)
		d.Observe(1, math.NaN(), 1, at)
		d.Observe(2, math.Inf(1), math.NaN(), at)
		d.Observe(3, 500, math.Inf(1), at)
		d.Evaluate(at)
	}
	wantDominant(t, d, 0, false)
	for i := 0; i < 20; i++ {
		at = at.Add(100 * ms)
		d.Observe(1, math.Inf(-1), math.Inf(-1), at) // clamped to 0 dBov, unvoiced
		d.Evaluate(at)
	}
	wantDominant(t, d, 1, true)
}

func TestFarAwayTimes(t *testing.T) {
	d := NewDetector(Options{})
	d.Evaluate(time.Time{}) // an uninitialized clock first
	got := sim(d, []uint32{1, 2}, []talk{{1, 0, 3 * sec, 40}}, 0, 3*sec, 100*ms)
	wantChanges(t, got, []change{{sec, 1, true}}, 100*ms)

	// A new source at a wild time drops the history but not the dominant.
	d.Observe(3, 0, 1, time.Time{})
	wantDominant(t, d, 1, true)
	got = sim(d, []uint32{1, 2, 3}, []talk{{2, 3 * sec, 6 * sec, 40}}, 3*sec, 6*sec, 100*ms)
	wantChanges(t, got, []change{{4 * sec, 2, true}}, 100*ms)
}

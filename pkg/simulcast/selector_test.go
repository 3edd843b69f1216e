package simulcast

import (
	"testing"
	"time"
)

// step is one Update call of a selector scenario, at offset at from t0.
type step struct {
	at     time.Duration
	layers []Layer // nil: threeLayers()
	lim    Limits
	budget int
	want   int
	wantOK bool
}

func runSelector(t *testing.T, o SelectorOptions, steps []step) {
	t.Helper()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewSelector(o)
	for i, st := range steps {
		layers := st.layers
		if layers == nil {
			layers = threeLayers()
		}
		got, ok := s.Update(layers, st.lim, st.budget, t0.Add(st.at))
		if got != st.want || ok != st.wantOK {
			t.Fatalf("step %d (t=%v, budget %d): Update = (%d, %v), want (%d, %v)", i, st.at, st.budget, got, ok, st.want, st.wantOK)
		}
	}
}

func TestSelector(t *testing.T) {
	const s = time.Second
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	inactiveTop := edit(func(l []Layer) { l[2].Active = false })
	nonMonotonic := []Layer{{Index: 0, Width: 320, Height: 180, Active: true},
		{Index: 1, Width: 640, Height: 360, Bitrate: 3_000_000, Active: true},
		{Index: 2, Width: 1280, Height: 720, Bitrate: 1_000_000, Active: true}}
	unsized := edit(func(l []Layer) {
		for i := range l {
			l[i].Width, l[i].Height = 0, 0
		}
	})
	noneActive := edit(func(l []Layer) {
		for i := range l {
			l[i].Active = false
		}
	})
	tests := []struct {
		name  string
		opts  SelectorOptions
		steps []step
	}{
		{"first update is immediate", SelectorOptions{}, []step{
			{0, nil, Limits{}, 0, 2, true},
		}},
		{"sizes learned: re-selected at once", SelectorOptions{}, []step{
			{0, unsized, Limits{MaxFs: MaxFsLarge}, 0, 0, true},
			{ms(100), unsized, Limits{MaxFs: MaxFsLarge}, 0, 0, true},
			{ms(200), nil, Limits{MaxFs: MaxFsLarge}, 0, 2, true},
		}},
		{"up waits for the hold", SelectorOptions{}, []step{
			{0, nil, Limits{}, 1_000_000, 1, true},
			{ms(100), nil, Limits{}, 5_000_000, 1, true},
			{ms(1000), nil, Limits{}, 5_000_000, 1, true},
			{ms(2099), nil, Limits{}, 5_000_000, 1, true},
			{ms(2100), nil, Limits{}, 5_000_000, 2, true},
		}},
		{"down is immediate", SelectorOptions{}, []step{
			{0, nil, Limits{}, 0, 2, true},
			{ms(10), nil, Limits{}, 1_000_000, 1, true},
			{ms(20), nil, Limits{}, 200_000, 0, true},
			{ms(30), nil, Limits{}, 100_000, -1, false},
		}},
		{"hovering budget does not oscillate", SelectorOptions{}, []step{
			{0, nil, Limits{}, 1_790_000, 1, true},
			{ms(500), nil, Limits{}, 1_810_000, 1, true},  // fits, but not with 10% margin
			{ms(1000), nil, Limits{}, 1_790_000, 1, true}, // below again
			{ms(1500), nil, Limits{}, 1_810_000, 1, true},
			{5 * s, nil, Limits{}, 1_810_000, 1, true},
		}},
		{"margin: 1.1x needed to go up", SelectorOptions{}, []step{
			{0, nil, Limits{}, 1_000_000, 1, true},
			{ms(100), nil, Limits{}, 1_980_000, 1, true}, // exactly 1.8M * 1.1
			{ms(2100), nil, Limits{}, 1_980_000, 2, true},
		}},
		{"a dip restarts the hold", SelectorOptions{}, []step{
			{0, nil, Limits{}, 1_000_000, 1, true},
			{ms(100), nil, Limits{}, 5_000_000, 1, true},
			{ms(1500), nil, Limits{}, 1_000_000, 1, true},
			{ms(2200), nil, Limits{}, 5_000_000, 1, true},
			{ms(4100), nil, Limits{}, 5_000_000, 1, true},
			{ms(4200), nil, Limits{}, 5_000_000, 2, true},
		}},
		{"steps up through a layer that held longer", SelectorOptions{}, []step{
			{0, nil, Limits{}, 100_000, -1, false},
			{ms(100), nil, Limits{}, 700_000, -1, false}, // layer 1 fits with margin
			{ms(1100), nil, Limits{}, 5_000_000, -1, false},
			{ms(2100), nil, Limits{}, 5_000_000, 1, true}, // layer 1 fit for 2 s, layer 2 for 1 s
			{ms(3099), nil, Limits{}, 5_000_000, 1, true},
			{ms(3100), nil, Limits{}, 5_000_000, 2, true}, // layer 2 has fit since 1.1 s
		}},
		{"re-enable after bandwidth disabled waits", SelectorOptions{}, []step{
			{0, nil, Limits{}, 500_000, 0, true},
			{ms(100), nil, Limits{}, 120_000, -1, false},
			{ms(200), nil, Limits{}, 170_000, -1, false},
			{ms(2199), nil, Limits{}, 170_000, -1, false},
			{ms(2200), nil, Limits{}, 170_000, 0, true},
		}},
		{"new limits apply at once", SelectorOptions{}, []step{
			{0, nil, Limits{MaxFs: MaxFsThumbnail}, 0, 0, true},
			{ms(100), nil, Limits{MaxFs: MaxFsLarge}, 0, 2, true},
			{ms(200), nil, Limits{MaxFs: MaxFsSmall}, 0, 0, true},
		}},
		{"current layer lost: reselect at once", SelectorOptions{}, []step{
			{0, nil, Limits{}, 0, 2, true},
			{ms(100), inactiveTop, Limits{}, 0, 1, true},
			{ms(200), nil, Limits{}, 0, 1, true},
			{ms(2200), nil, Limits{}, 0, 2, true},
		}},
		{"no active layer", SelectorOptions{}, []step{
			{0, nil, Limits{}, 0, 2, true},
			{ms(100), noneActive, Limits{}, 0, -1, false},
			{ms(200), nil, Limits{}, 0, -1, false},
			{ms(2200), nil, Limits{}, 0, 2, true},
		}},
		{"a held layer that disappears is not chosen", SelectorOptions{}, []step{
			{0, nil, Limits{}, 100_000, -1, false},
			{ms(200), nil, Limits{}, 200_000, -1, false}, // layer 0 starts its hold
			{ms(2000), []Layer{{Index: 1, Width: 640, Height: 360, Active: true}}, Limits{}, 5_000_000, -1, false},
			{ms(2300), []Layer{{Index: 1, Width: 640, Height: 360, Active: true}}, Limits{}, 5_000_000, -1, false},
			{ms(3999), []Layer{{Index: 1, Width: 640, Height: 360, Active: true}}, Limits{}, 5_000_000, -1, false},
			{ms(4000), []Layer{{Index: 1, Width: 640, Height: 360, Active: true}}, Limits{}, 5_000_000, 1, true},
		}},
		{"non-monotonic rates: only layers that fit hold", SelectorOptions{}, []step{
			{0, nil, Limits{}, 100_000, -1, false},
			{ms(100), nonMonotonic, Limits{MaxFs: MaxFsLarge}, 2_000_000, 2, true},
			{ms(200), nonMonotonic, Limits{MaxFs: MaxFsLarge}, 100_000, -1, false},
			{ms(300), nonMonotonic, Limits{MaxFs: MaxFsLarge}, 2_000_000, -1, false},
			{ms(2299), nonMonotonic, Limits{MaxFs: MaxFsLarge}, 2_000_000, -1, false},
			{ms(2300), nonMonotonic, Limits{MaxFs: MaxFsLarge}, 2_000_000, 2, true},
		}},
		{"invalid layers", SelectorOptions{}, []step{
			{0, []Layer{{Index: 7, Active: true}}, Limits{}, 0, -1, false},
			{ms(100), nil, Limits{}, 0, 2, true},
		}},
		{"time going back restarts the hold", SelectorOptions{}, []step{
			{10 * s, nil, Limits{}, 1_000_000, 1, true},
			{ms(10100), nil, Limits{}, 5_000_000, 1, true},
			{ms(5000), nil, Limits{}, 5_000_000, 1, true},
			{ms(6999), nil, Limits{}, 5_000_000, 1, true},
			{ms(7000), nil, Limits{}, 5_000_000, 2, true},
		}},
		{"custom hold and margin", SelectorOptions{UpHold: 500 * time.Millisecond, UpMargin: 1.5}, []step{
			{0, nil, Limits{}, 1_000_000, 1, true},
			{ms(100), nil, Limits{}, 2_500_000, 1, true}, // 1.8M * 1.5 = 2.7M
			{ms(1000), nil, Limits{}, 2_700_000, 1, true},
			{ms(1499), nil, Limits{}, 2_700_000, 1, true},
			{ms(1500), nil, Limits{}, 2_700_000, 2, true},
		}},
		{"negative hold and low margin switch at once", SelectorOptions{UpHold: -1, UpMargin: 0.5}, []step{
			{0, nil, Limits{}, 1_000_000, 1, true},
			{ms(1), nil, Limits{}, 1_800_000, 2, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSelector(t, tt.opts, tt.steps) })
	}
}

func TestSelectorUpdateDoesNotAllocate(t *testing.T) {
	s := NewSelector(SelectorOptions{})
	layers := threeLayers()
	now := time.Unix(0, 0)
	allocs := testing.AllocsPerRun(100, func() {
		now = now.Add(time.Second)
		s.Update(layers, Limits{}, 1_000_000, now)
	})
	if allocs != 0 {
		t.Errorf("Update allocates %v times per call", allocs)
	}
}

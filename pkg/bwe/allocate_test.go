package bwe

import (
	"errors"
	"fmt"
	"testing"
)

var ladder = []int{150_000, 500_000, 1_500_000}

func video(id string, prio, current int, layers ...int) Slot {
	return Slot{ID: id, Kind: Video, Priority: prio, Layers: layers, Current: current}
}

func audio(id string, rate int) Slot {
	return Slot{ID: id, Kind: Audio, Layers: []int{rate}, Current: 0}
}

func TestAllocate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		budget int
		slots  []Slot
		h      Hysteresis
		want   []int // layer per slot, input order
		wanted int
	}{
		{
			name:   "everything fits: top layers, nothing wanted",
			budget: 10_000_000,
			slots:  []Slot{audio("a", 40_000), video("main", 2, -1, ladder...), video("thumb", 1, -1, ladder...)},
			want:   []int{0, 2, 2},
		},
		{
			name:   "audio first, then main to the top before the thumbnail upgrades",
			budget: 2_500_000,
			slots:  []Slot{audio("a", 40_000), video("main", 2, -1, ladder...), video("thumb", 1, -1, ladder...)},
			// 40k + 150k + 150k, main +350k +1000k = 1690k, thumb +350k =
			// 2040k <= 2250k; thumb's top would make 3040k.
			want:   []int{0, 2, 1},
			wanted: 3_377_778, // ceil(3040k / 0.9)
		},
		{
			name:   "priority, not input order, decides",
			budget: 2_500_000,
			slots:  []Slot{video("thumb", 1, -1, ladder...), audio("a", 40_000), video("main", 2, -1, ladder...)},
			want:   []int{1, 0, 2},
			wanted: 3_377_778,
		},
		{
			name:   "equal priorities keep input order",
			budget: 2_500_000,
			slots:  []Slot{video("x", 1, -1, ladder...), video("y", 1, -1, ladder...)},
			want:   []int{2, 1},
			wanted: 3_333_334, // ceil(3000k / 0.9)
		},
		{
			name:   "a slot that does not fit at its lowest layer is paused",
			budget: 250_000,
			slots:  []Slot{audio("a", 40_000), video("main", 2, -1, ladder...), video("thumb", 1, -1, ladder...)},
			want:   []int{0, 0, -1},
			wanted: 377_778, // ceil((190k + 150k) / 0.9): resume the thumbnail
		},
		{
			name:   "audio is counted even when the budget does not cover it",
			budget: 20_000,
			slots:  []Slot{audio("a", 40_000), video("main", 2, -1, ladder...)},
			want:   []int{0, -1},
			wanted: 211_112, // ceil(190k / 0.9)
		},
		{
			name:   "negative budget is no budget",
			budget: -5,
			slots:  []Slot{audio("a", 40_000), video("main", 2, 0, ladder...)},
			want:   []int{0, -1},
			wanted: 172_728, // ceil(190k / 1.1): main held layer 0
		},
		{
			name:   "a paused slot resumes when the budget returns",
			budget: 400_000,
			slots:  []Slot{audio("a", 40_000), video("main", 2, 0, ladder...), video("thumb", 1, -1, ladder...)},
			want:   []int{0, 0, 0},
			wanted: 766_667, // ceil((340k + 350k) / 0.9): main's next layer
		},
		{
			name:   "but not before it fits with the upgrade margin",
			budget: 370_000,
			slots:  []Slot{audio("a", 40_000), video("main", 2, 0, ladder...), video("thumb", 1, -1, ladder...)},
			want:   []int{0, 0, -1},
			wanted: 377_778,
		},
		{
			name:   "a cheaper lower-priority slot may use what a paused one cannot",
			budget: 300_000,
			slots:  []Slot{video("main", 2, -1, 500_000), video("thumb", 1, -1, 100_000)},
			want:   []int{-1, 0},
			wanted: 666_667, // ceil((100k + 500k) / 0.9)
		},
		{
			name:   "a blocked upgrade wants what lower-priority upgrades took too",
			budget: 1_000_000,
			slots:  []Slot{video("main", 2, -1, 150_000, 2_000_000), video("thumb", 1, -1, 150_000, 500_000)},
			want:   []int{0, 1},
			wanted: 2_777_778, // ceil((650k + 1850k) / 0.9)
		},
		{
			name:   "keep: the current layer stays while it fits budget×1.1",
			budget: 1_400_000,
			slots:  []Slot{video("main", 1, 2, ladder...)},
			want:   []int{2},
		},
		{
			name:   "keep: and goes when it does not",
			budget: 1_300_000,
			slots:  []Slot{video("main", 1, 2, ladder...)},
			want:   []int{1},
			wanted: 1_363_637, // ceil(1500k / 1.1): the layer it had
		},
		{
			name:   "upgrade: not until it fits budget×0.9",
			budget: 1_600_000,
			slots:  []Slot{video("main", 1, 1, ladder...)},
			want:   []int{1},
			wanted: 1_666_667,
		},
		{
			name:   "upgrade: then it does",
			budget: 1_700_000,
			slots:  []Slot{video("main", 1, 1, ladder...)},
			want:   []int{2},
		},
		{
			name:   "zero hysteresis: exact fit",
			budget: 1_500_000,
			slots:  []Slot{video("main", 1, -1, ladder...)},
			h:      Hysteresis{},
			want:   []int{2},
		},
		{
			name:   "a video slot without layers is paused and wants nothing",
			budget: 1_000_000,
			slots:  []Slot{video("empty", 3, -1), video("main", 1, -1, 150_000)},
			want:   []int{-1, 0},
		},
		{
			name:   "a current layer that vanished counts as the top one",
			budget: 520_000,
			slots:  []Slot{video("main", 1, 2, 150_000, 500_000)},
			want:   []int{1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			if h == (Hysteresis{}) && tc.name != "zero hysteresis: exact fit" {
				h = DefaultHysteresis
			}
			allocs, wanted := Allocate(tc.budget, tc.slots, h)
			if len(allocs) != len(tc.slots) {
				t.Fatalf("%d allocations for %d slots", len(allocs), len(tc.slots))
			}
			for i, a := range allocs {
				s := tc.slots[i]
				wantRate := 0
				if tc.want[i] >= 0 {
					wantRate = s.Layers[tc.want[i]]
				}
				if a.ID != s.ID || a.Layer != tc.want[i] || a.Bitrate != wantRate {
					t.Errorf("slot %s: got %+v, want layer %d at %d", s.ID, a, tc.want[i], wantRate)
				}
			}
			if wanted != tc.wanted {
				t.Errorf("wanted = %d, want %d", wanted, tc.wanted)
			}
		})
	}
}

// TestAllocateHysteresisHolds feeds the answer back as Current while the
// budget wobbles ±5 % around a layer threshold: the layer never flips.
func TestAllocateHysteresisHolds(t *testing.T) {
	for _, start := range []int{1, 2} {
		t.Run(fmt.Sprintf("from layer %d", start), func(t *testing.T) {
			cur := start
			for i := range 100 {
				budget := 1_500_000 + (i%3-1)*75_000
				allocs, _ := Allocate(budget, []Slot{video("main", 1, cur, ladder...)}, DefaultHysteresis)
				if allocs[0].Layer != start {
					t.Fatalf("step %d, budget %d: layer %d, want %d", i, budget, allocs[0].Layer, start)
				}
				cur = allocs[0].Layer
			}
			// Without hysteresis the same wobble flips the layer.
			flips, cur := 0, start
			for i := range 100 {
				budget := 1_500_000 + (i%3-1)*75_000
				allocs, _ := Allocate(budget, []Slot{video("main", 1, cur, ladder...)}, Hysteresis{})
				if allocs[0].Layer != cur {
					flips++
				}
				cur = allocs[0].Layer
			}
			if flips == 0 {
				t.Fatal("no flips without hysteresis: the wobble does not cross the threshold")
			}
		})
	}
}

// TestAllocatePauseResume walks a budget down and up again: slots pause
// from the lowest priority up and resume from the highest down.
func TestAllocatePauseResume(t *testing.T) {
	slots := []Slot{audio("a", 40_000), video("main", 3, -1, ladder...), video("t1", 2, -1, ladder...), video("t2", 1, -1, ladder...)}
	layers := func() string {
		s := ""
		for _, sl := range slots[1:] {
			s += fmt.Sprint(sl.Current)
		}
		return s
	}
	var trace []string
	for _, budget := range []int{3_000_000, 1_000_000, 500_000, 300_000, 100_000, 300_000, 500_000, 1_000_000, 3_000_000} {
		allocs, _ := Allocate(budget, slots, DefaultHysteresis)
		for i := range slots {
			slots[i].Current = allocs[i].Layer
		}
		trace = append(trace, layers())
	}
	// At 3M the thumbnails' spare budget lifts t2 a layer while t1's top
	// does not fit (greedy in priority order). At 500k the way down keeps
	// all three (490k <= 550k), the way up leaves t2 paused (490k > 450k):
	// hysteresis.
	want := []string{"211", "100", "000", "0-1-1", "-1-1-1", "0-1-1", "00-1", "100", "211"}
	if fmt.Sprint(trace) != fmt.Sprint(want) {
		t.Fatalf("layers main/t1/t2 per budget = %v, want %v", trace, want)
	}
}

func TestValidateSlots(t *testing.T) {
	for _, tc := range []struct {
		name  string
		slots []Slot
		ok    bool
	}{
		{"good", []Slot{audio("a", 40_000), video("v", 1, 0, ladder...), video("w", 1, -1)}, true},
		{"empty id", []Slot{video("", 1, -1, ladder...)}, false},
		{"duplicate id", []Slot{video("v", 1, -1, ladder...), video("v", 2, -1, ladder...)}, false},
		{"unknown kind", []Slot{{ID: "x", Layers: ladder, Current: -1}}, false},
		{"negative rate", []Slot{video("v", 1, -1, -1, 5)}, false},
		{"decreasing", []Slot{video("v", 1, -1, 500, 100)}, false},
		{"current too high", []Slot{video("v", 1, 3, ladder...)}, false},
		{"current without layers", []Slot{video("v", 1, 0)}, false},
		{"current below -1", []Slot{video("v", 1, -2, ladder...)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateSlots(tc.slots)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalidSlot)) {
				t.Fatalf("ValidateSlots = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

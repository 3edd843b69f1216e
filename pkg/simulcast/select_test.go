package simulcast

import (
	"errors"
	"math"
	"testing"
)

// threeLayers is a 1080p publisher sending all layers with measured rates.
func threeLayers() []Layer {
	return []Layer{
		{Index: 0, Width: 480, Height: 270, Bitrate: 150_000, Active: true},
		{Index: 1, Width: 960, Height: 540, Bitrate: 550_000, Active: true},
		{Index: 2, Width: 1920, Height: 1080, Bitrate: 1_800_000, Active: true},
	}
}

// edit returns threeLayers changed by f.
func edit(f func(l []Layer)) []Layer {
	l := threeLayers()
	f(l)
	return l
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name    string
		layers  []Layer
		lim     Limits
		budget  int
		want    int
		wantOK  bool
		wantErr error
	}{
		{"unlimited main gets top", threeLayers(), Limits{}, 0, 2, true, nil},
		{"large pane gets top", threeLayers(), Limits{MaxFs: MaxFsLarge}, 0, 2, true, nil},
		{"medium pane gets middle", threeLayers(), Limits{MaxFs: MaxFsMedium}, 0, 1, true, nil},
		{"small pane gets low", threeLayers(), Limits{MaxFs: MaxFsSmall}, 0, 0, true, nil},
		{"thumbnail falls back to lowest", threeLayers(), Limits{MaxFs: MaxFsThumbnail}, 0, 0, true, nil},
		{"max width", threeLayers(), Limits{MaxWidth: 1280}, 0, 1, true, nil},
		{"max height", threeLayers(), Limits{MaxHeight: 540}, 0, 1, true, nil},
		{"max width and height both needed", threeLayers(), Limits{MaxWidth: 1920, MaxHeight: 720}, 0, 1, true, nil},
		{"negative limits are unlimited", threeLayers(), Limits{MaxFs: -1, MaxWidth: -1, MaxHeight: -1, MaxBitrate: -1}, -1, 2, true, nil},
		{"budget cuts to middle", threeLayers(), Limits{}, 1_000_000, 1, true, nil},
		{"budget exactly fits", threeLayers(), Limits{}, 1_800_000, 2, true, nil},
		{"budget cuts to low", threeLayers(), Limits{}, 549_999, 0, true, nil},
		{"max bitrate cuts", threeLayers(), Limits{MaxBitrate: DefaultMaxPayload(MaxFsVerySmall)}, 0, 0, true, nil},
		{"min of max bitrate and budget", threeLayers(), Limits{MaxBitrate: 4_000_000}, 600_000, 1, true, nil},
		{"bandwidth disabled", threeLayers(), Limits{}, 100_000, -1, false, nil},
		{"thumbnail bandwidth disabled", threeLayers(), Limits{MaxFs: MaxFsThumbnail}, 149_999, -1, false, nil},
		{"inactive top skipped", edit(func(l []Layer) { l[2].Active = false }), Limits{}, 0, 1, true, nil},
		{"inactive middle skipped", edit(func(l []Layer) { l[1].Active = false }), Limits{MaxFs: MaxFsMedium}, 0, 0, true, nil},
		{"fallback is lowest active", edit(func(l []Layer) { l[0].Active = false }), Limits{MaxFs: MaxFsThumbnail}, 0, 1, true, nil},
		{"fallback disabled by budget", edit(func(l []Layer) { l[0].Active = false }), Limits{MaxFs: MaxFsThumbnail}, 500_000, -1, false, nil},
		{"lowest fits resolution not budget", edit(func(l []Layer) { l[0].Active = false }), Limits{MaxFs: MaxFsMedium}, 500_000, -1, false, nil},
		{"no active layer", edit(func(l []Layer) {
			for i := range l {
				l[i].Active = false
			}
		}), Limits{}, 0, -1, false, ErrNoActiveLayer},
		{"no layers", nil, Limits{}, 0, -1, false, ErrNoActiveLayer},
		{"unknown bitrate uses nominal", edit(func(l []Layer) { l[2].Bitrate = 0 }), Limits{}, 1_600_000, 2, true, nil},
		{"nominal too high", edit(func(l []Layer) { l[1].Bitrate, l[2].Bitrate = 0, 0 }), Limits{}, 499_000, 0, true, nil},
		{"unknown dims derived from top", edit(func(l []Layer) {
			l[0].Width, l[0].Height, l[1].Width, l[1].Height = 0, 0, 0, 0
		}), Limits{MaxFs: MaxFsSmall}, 0, 0, true, nil},
		{"unknown top derived from lower", edit(func(l []Layer) { l[2].Width, l[2].Height = 0, 0 }), Limits{MaxFs: MaxFsMedium}, 0, 1, true, nil},
		{"no dims known, no resolution limit: all fit", []Layer{{Index: 0, Active: true}, {Index: 1, Active: true}, {Index: 2, Active: true}}, Limits{MaxBitrate: 4_000_000}, 0, 2, true, nil},
		{"no dims known, limited slot: lowest", []Layer{{Index: 0, Active: true}, {Index: 1, Active: true}, {Index: 2, Active: true}}, Limits{MaxFs: MaxFsLarge}, 0, 0, true, nil},
		{"no dims known, limited slot: lowest active", []Layer{{Index: 0}, {Index: 1, Active: true}, {Index: 2, Active: true}}, Limits{MaxWidth: 320}, 0, 1, true, nil},
		{"unordered input", []Layer{
			{Index: 2, Width: 1280, Height: 720, Active: true},
			{Index: 0, Width: 320, Height: 180, Active: true},
			{Index: 1, Width: 640, Height: 360, Active: true},
		}, Limits{MaxFs: MaxFsSmall}, 0, 1, true, nil},
		{"huge rates do not overflow", []Layer{{Index: 0, Bitrate: math.MaxInt, Active: true}}, Limits{}, math.MaxInt - 1, -1, false, nil},
		{"huge budget", []Layer{{Index: 0, Bitrate: math.MaxInt, Active: true}}, Limits{}, math.MaxInt, 0, true, nil},
		{"two layers only", []Layer{{Index: 0, Active: true}, {Index: 1, Active: true}}, Limits{}, 0, 1, true, nil},
		{"index out of range", []Layer{{Index: 3, Active: true}}, Limits{}, 0, -1, false, ErrInvalidLayer},
		{"negative index", []Layer{{Index: -1, Active: true}}, Limits{}, 0, -1, false, ErrInvalidLayer},
		{"duplicate index", []Layer{{Index: 1, Active: true}, {Index: 1}}, Limits{}, 0, -1, false, ErrInvalidLayer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := Select(tt.layers, tt.lim, tt.budget)
			if got != tt.want || ok != tt.wantOK || !errors.Is(err, tt.wantErr) {
				t.Errorf("Select = (%d, %v, %v), want (%d, %v, %v)", got, ok, err, tt.want, tt.wantOK, tt.wantErr)
			}
		})
	}
}

func TestSelectDoesNotAllocate(t *testing.T) {
	layers := threeLayers()
	allocs := testing.AllocsPerRun(100, func() {
		_, _, _ = Select(layers, Limits{MaxFs: MaxFsMedium}, 1_000_000)
	})
	if allocs != 0 {
		t.Errorf("Select allocates %v times per call", allocs)
	}
}

func TestRateCap(t *testing.T) {
	tests := []struct{ a, b, want int }{
		{0, 0, 0}, {5, 0, 5}, {0, 5, 5}, {3, 5, 3}, {5, 3, 3}, {-1, -1, 0}, {-1, 7, 7},
	}
	for _, tt := range tests {
		if got := rateCap(tt.a, tt.b); got != tt.want {
			t.Errorf("rateCap(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

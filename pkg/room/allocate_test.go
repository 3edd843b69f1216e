package room

import (
	"testing"

	"github.com/switchyard-sfu/switchyard/pkg/simulcast"
)

// TestAllocateFromEstimate: the estimate (with hysteresis) and the caps
// (exact) bound what a connection's slots get: audio first, main before
// thumbnails, lowest layers first, pause when the base layer does not fit,
// resume when it does again.
func TestAllocateFromEstimate(t *testing.T) {
	speakers := []uint32{1 << 8, 2 << 8, 3 << 8}
	main := asEntry(255, "main")
	thumbs := asEntry(100, "t0", "t1")
	thumbs.Limits.MaxFs = 3600 // 1280x720: every layer fits
	audio := RequestEntry{Policy: PolicyActiveSpeaker, Priority: 255, Slots: []string{"a0"}, Content: ContentMain}
	cases := []struct {
		name     string
		estimate int
		caps     ReceiveCaps
		current  map[string]int
		want     map[string]int // budget; -1 = bandwidth disabled
		paused   int
		wanted   int
	}{
		{name: "plenty: main to the top, thumbnails as far as 90 % of the estimate goes", estimate: 3_000_000,
			want: map[string]int{"main": 1_500_000, "t0": 500_000, "t1": 500_000}, wanted: 3_960_000},
		{name: "base layers only; the main upgrade is the probe target", estimate: 600_000,
			want: map[string]int{"main": 150_000, "t0": 150_000, "t1": 150_000}, wanted: 960_000},
		{name: "thumbnails paused when their base layer does not fit", estimate: 400_000,
			want: map[string]int{"main": 150_000, "t0": -1, "t1": -1}, paused: 2, wanted: 404_445},
		{name: "below every base layer: the main picture keeps its lowest layer, the probe target is unchanged", estimate: 100_000,
			want: map[string]int{"main": 150_000, "t0": -1, "t1": -1}, paused: 2, wanted: 237_778},
		{name: "caps below every base layer pause everything", estimate: 10_000_000, caps: ReceiveCaps{TotalKbps: 200},
			want: map[string]int{"main": -1, "t0": -1, "t1": -1}, paused: 3, wanted: 214_000},
		{name: "paused thumbnail resumes when the estimate returns", estimate: 600_000,
			current: map[string]int{"main": 0, "t0": 0},
			want:    map[string]int{"main": 150_000, "t0": 150_000, "t1": 150_000}, wanted: 960_000},
		{name: "hysteresis keeps the current layer while the total fits 110 % of the estimate", estimate: 850_000,
			current: map[string]int{"main": 1, "t0": 0, "t1": 0},
			want:    map[string]int{"main": 500_000, "t0": 150_000, "t1": 150_000}, wanted: 2_071_112},
		{name: "the same estimate does not upgrade a slot that is not there yet", estimate: 850_000,
			current: map[string]int{"main": 0, "t0": 0, "t1": 0},
			want:    map[string]int{"main": 150_000, "t0": 150_000, "t1": 150_000}, wanted: 960_000},
		{name: "upgrade with 10 % headroom", estimate: 960_000,
			current: map[string]int{"main": 0, "t0": 0, "t1": 0},
			want:    map[string]int{"main": 500_000, "t0": 150_000, "t1": 150_000}, wanted: 2_071_112},
		{name: "caps below the estimate bind exactly", estimate: 10_000_000, caps: ReceiveCaps{VideoKbps: 2000},
			want: map[string]int{"main": 1_500_000, "t0": 150_000, "t1": 150_000}, wanted: 2_214_000},
		{name: "caps near the estimate: kept layers never exceed the caps", estimate: 1_000_000, caps: ReceiveCaps{TotalKbps: 1000},
			current: map[string]int{"main": 2, "t0": 0, "t1": 0},
			want:    map[string]int{"main": 500_000, "t0": 150_000, "t1": 150_000}, wanted: 1_864_000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps, a := plan(planInput{
				participant: "me", slots: slots(), sources: planRoom(), speakers: speakers,
				estimate: tc.estimate, current: tc.current,
				request: &MediaRequest{Seq: 1, Caps: tc.caps, Entries: []RequestEntry{main, thumbs, audio}},
			})
			got := byMid(ps)
			sum := audioSlotBitrate
			for mid, want := range tc.want {
				p := got[mid]
				if want < 0 {
					if p.state != SlotBandwidthDisabled {
						t.Errorf("%s: %s, want bandwidth disabled", mid, p.state)
					}
					continue
				}
				sum += want
				if p.state != SlotLive || p.budget != want {
					t.Errorf("%s: %s budget %d, want live budget %d", mid, p.state, p.budget, want)
				}
			}
			if a.paused != tc.paused || a.allocated != sum || a.wanted != tc.wanted {
				t.Errorf("allocation %+v, want paused %d, allocated %d, wanted %d", a, tc.paused, sum, tc.wanted)
			}
		})
	}
}

func TestLayerCostsNeverDecrease(t *testing.T) {
	layers := []simulcast.Layer{
		{Index: 2, Bitrate: 900_000, Active: true},
		{Index: 0, Bitrate: 200_000, Active: true},
		{Index: 1, Bitrate: 150_000, Active: true}, // measured below layer 0
	}
	got := layerCosts(layers, simulcast.Limits{})
	want := []layerCost{{0, 200_000}, {1, 200_000}, {2, 900_000}}
	if len(got) != len(want) {
		t.Fatalf("costs %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("costs %v, want %v", got, want)
		}
	}
	if got := layerCosts([]simulcast.Layer{{Index: 0, Active: false}}, simulcast.Limits{}); len(got) != 0 {
		t.Fatalf("costs of no active layer: %v", got)
	}
}

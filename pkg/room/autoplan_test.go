package room

import (
	"testing"
	"time"

	"github.com/switchyard-sfu/switchyard/pkg/simulcast"
)

func autoLayers() []simulcast.Layer {
	return []simulcast.Layer{
		{Index: 0, Width: 320, Height: 180, Bitrate: 150_000, Active: true},
		{Index: 1, Width: 640, Height: 360, Bitrate: 500_000, Active: true},
		{Index: 2, Width: 1280, Height: 720, Bitrate: 1_500_000, Active: true},
	}
}

// An auto-mode receiver's subscriptions, sorted by id as replanAuto sorts
// them: alice's audio, alice's and bob's video.
func autoSubs() []autoSub {
	return []autoSub{
		{id: "a-audio", kind: KindAudio, source: 1 << 8, live: true, current: -1},
		{id: "b-alice", kind: KindVideo, source: 1<<8 | 1, live: true, layers: autoLayers(), current: -1},
		{id: "c-bob", kind: KindVideo, source: 2<<8 | 1, live: true, layers: autoLayers(), current: -1},
	}
}

// Layer decisions of planAuto + autoLayer, as replanAuto applies them.
const (
	paused = -1 // bandwidth disabled
	off    = -2 // not live: paused for another reason, nothing allocated
	avatar = -3 // no active layer
)

// TestPlanAuto: an auto-mode connection's estimate is spent like a slots
// connection's: audio first, then the active speaker's video, then the
// others in id order, lowest layers first, with hysteresis; a video the
// estimate cannot carry is paused, except the one picture kept moving;
// without an estimate every video follows its top layer.
func TestPlanAuto(t *testing.T) {
	bob := []uint32{2 << 8}
	cases := []struct {
		name     string
		estimate int
		speakers []uint32
		edit     func(subs []autoSub)
		want     map[string]int // video id -> layer or paused/off/avatar
		paused   int
		wanted   int
	}{
		{name: "no controller or no estimate: top layers, nothing allocated", estimate: 0, speakers: bob,
			want: map[string]int{"b-alice": 2, "c-bob": 2}},
		{name: "plenty: top layers", estimate: 5_000_000,
			want: map[string]int{"b-alice": 2, "c-bob": 2}},
		{name: "1 Mbit/s: the active speaker is upgraded first", estimate: 1_000_000, speakers: bob,
			want: map[string]int{"b-alice": 0, "c-bob": 1}, wanted: 1_904_445},
		{name: "no speaker: equal priority, served in id order", estimate: 1_000_000,
			want: map[string]int{"b-alice": 1, "c-bob": 0}, wanted: 1_904_445},
		{name: "audio first: the second base layer no longer fits", estimate: 400_000, speakers: bob,
			want: map[string]int{"b-alice": paused, "c-bob": 0}, paused: 1, wanted: 404_445},
		{name: "audio that is not live costs nothing: both base layers fit", estimate: 400_000, speakers: bob,
			edit: func(s []autoSub) { s[0].live = false },
			want: map[string]int{"b-alice": 0, "c-bob": 0}, wanted: 722_223},
		{name: "nothing fits: the speaker's video keeps its lowest layer", estimate: 100_000, speakers: bob,
			want: map[string]int{"b-alice": paused, "c-bob": 0}, paused: 1, wanted: 237_778},
		{name: "nothing fits, no speaker: the first video keeps its lowest layer", estimate: 100_000,
			want: map[string]int{"b-alice": 0, "c-bob": paused}, paused: 1, wanted: 237_778},
		{name: "hysteresis keeps a layer while the total fits 110 %", estimate: 700_000, speakers: bob,
			edit: func(s []autoSub) { s[1].current, s[2].current = 0, 1 },
			want: map[string]int{"b-alice": 0, "c-bob": 1}, wanted: 1_904_445},
		{name: "the same estimate does not upgrade without 10 % headroom", estimate: 700_000, speakers: bob,
			edit: func(s []autoSub) { s[1].current, s[2].current = 0, 0 },
			want: map[string]int{"b-alice": 0, "c-bob": 0}, wanted: 793_334},
		{name: "a muted video is paused for that and costs nothing", estimate: 1_000_000, speakers: bob,
			edit: func(s []autoSub) { s[2].live = false },
			want: map[string]int{"b-alice": 1, "c-bob": off}, wanted: 1_737_778},
		{name: "a video without active layers shows nothing and costs nothing", estimate: 1_000_000, speakers: bob,
			edit: func(s []autoSub) {
				for i := range s[2].layers {
					s[2].layers[i].Active = false
				}
			},
			want: map[string]int{"b-alice": 1, "c-bob": avatar}, wanted: 1_737_778},
	}
	now := time.Unix(1000, 0)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			subs := autoSubs()
			if tc.edit != nil {
				tc.edit(subs)
			}
			ps, a := planAuto(subs, tc.speakers, tc.estimate)
			if len(ps) != len(subs) {
				t.Fatalf("%d rows for %d subscriptions", len(ps), len(subs))
			}
			sum := 0
			if subs[0].live && tc.estimate > 0 {
				sum = audioSlotBitrate
			}
			for i, p := range ps {
				if p.mid != subs[i].id {
					t.Fatalf("row %d is %q, want %q", i, p.mid, subs[i].id)
				}
				if p.kind == KindAudio {
					continue
				}
				want := tc.want[p.mid]
				if !subs[i].live {
					if want != off || p.state != SlotNoSource || p.alloc != -1 {
						t.Errorf("%s: %s alloc %d, want %d", p.mid, p.state, p.alloc, want)
					}
					continue
				}
				var sel *simulcast.Selector
				if tc.estimate > 0 {
					sel = simulcast.NewSelector(simulcast.SelectorOptions{})
				}
				got, st := autoLayer(sel, subs[i].layers, p, now)
				switch {
				case want == paused && st != SlotBandwidthDisabled,
					want == avatar && st != SlotAvatar,
					want >= 0 && (st != SlotLive || got != want):
					t.Errorf("%s: %s layer %d (allocated %d, budget %d), want %d", p.mid, st, got, p.alloc, p.budget, want)
				}
				if tc.estimate > 0 && want >= 0 {
					sum += p.budget
					if p.alloc != want {
						t.Errorf("%s: allocator gave layer %d, want %d", p.mid, p.alloc, want)
					}
				}
			}
			if a.paused != tc.paused || a.allocated != sum || a.wanted != tc.wanted {
				t.Errorf("allocation %+v, want paused %d, allocated %d, wanted %d", a, tc.paused, sum, tc.wanted)
			}
		})
	}
}

// TestAutoLayerSwitching: an auto-mode video follows its allocation
// through its selector: up only after the selector's hold, down and to
// paused at once, back from paused at the allocated layer.
func TestAutoLayerSwitching(t *testing.T) {
	sel := simulcast.NewSelector(simulcast.SelectorOptions{})
	layers := autoLayers()
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at     time.Duration
		budget int // the allocated budget; -1: bandwidth disabled
		want   int // layer, or paused
	}{
		{0, 150_000, 0},
		{200 * time.Millisecond, 500_000, 0}, // allocated up: the hold starts
		{1 * time.Second, 500_000, 0},
		{2200 * time.Millisecond, 500_000, 1}, // held 2 s
		{2400 * time.Millisecond, 1_500_000, 1},
		{2600 * time.Millisecond, 150_000, 0}, // down at once
		{2800 * time.Millisecond, -1, paused},
		{3000 * time.Millisecond, 150_000, 0}, // resumes at once
	}
	for _, s := range steps {
		p := planned{kind: KindVideo, state: SlotLive, budget: s.budget, alloc: 0}
		if s.budget < 0 {
			p = planned{kind: KindVideo, state: SlotBandwidthDisabled, alloc: -1}
		}
		got, st := autoLayer(sel, layers, p, t0.Add(s.at))
		switch {
		case s.want == paused && st != SlotBandwidthDisabled,
			s.want >= 0 && (st != SlotLive || got != s.want):
			t.Fatalf("at %v budget %d: %s layer %d, want %d", s.at, s.budget, st, got, s.want)
		}
	}
}

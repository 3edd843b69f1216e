package bwe

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Kind is a slot's media kind.
type Kind int8

// Kinds of [Slot]. The zero Kind is invalid; [Allocate] treats it as video.
const (
	Audio Kind = iota + 1
	Video
)

func (k Kind) String() string {
	switch k {
	case Audio:
		return "audio"
	case Video:
		return "video"
	default:
		return fmt.Sprintf("Kind(%d)", int8(k))
	}
}

// Slot is one receive slot of a connection as the allocator sees it.
type Slot struct {
	ID   string
	Kind Kind
	// Priority orders video slots: higher first (main/active speaker
	// before thumbnails). Ties keep the input order.
	Priority int
	// Layers is the bit rate of each spatial layer the slot may forward,
	// lowest first: only layers that fit the slot's limits and that the
	// publisher is currently sending. Audio uses Layers[0].
	Layers []int
	// Current is the layer forwarded now, -1 if paused; it drives the
	// hysteresis.
	Current int
}

// Allocation is the allocator's answer for one slot.
type Allocation struct {
	ID string
	// Layer indexes the slot's Layers; -1 means paused ("bandwidth
	// disabled" for video, or no layer at all).
	Layer   int
	Bitrate int // bit/s, 0 when paused
}

// Hysteresis widens the budget for layers a slot already has and narrows
// it for layers it would gain, so that a budget hovering near a threshold
// does not flip layers (each spatial switch costs a keyframe):
//
//   - a slot keeps its current layer (or moves to a lower one) while the
//     running total fits budget × Keep;
//   - a slot moves above its current layer, or resumes from paused, only
//     when the running total fits budget × Upgrade.
//
// Non-positive fields count as 1, so the zero value has no hysteresis; a
// Keep below Upgrade counts as Upgrade.
type Hysteresis struct {
	Keep    float64
	Upgrade float64
}

// DefaultHysteresis keeps a layer until the total exceeds the budget by
// 10 % and upgrades only with 10 % of headroom.
var DefaultHysteresis = Hysteresis{Keep: 1.1, Upgrade: 0.9}

func (h Hysteresis) factors() (keep, up float64) {
	keep, up = h.Keep, h.Upgrade
	if !(up > 0) {
		up = 1
	}
	if !(keep > 0) {
		keep = 1
	}
	return max(keep, up), up
}

// maxRate bounds any bit rate the allocator adds up, so sums cannot
// overflow.
const maxRate = 1 << 40

func rateOf(layers []int, i int) int { return min(max(layers[i], 0), maxRate) }

// Allocate spends budget (bit/s) on slots and returns one allocation per
// slot, in input order, with wanted: the budget (bit/s) the most urgent
// upgrade the budget could not afford would need, the probe target; 0 when
// nothing is blocked.
//
// Audio slots come first and always get Layers[0], counted against the
// budget even when it does not cover them. Video slots are then served by
// priority: each first at its lowest layer (a slot whose lowest layer does
// not fit is paused, and a lower-priority slot may still fit), then
// upgraded one layer at a time, each slot as far as it goes before the
// next, while budget remains. h applies to every step (see [Hysteresis]).
func Allocate(budget int, slots []Slot, h Hysteresis) (allocs []Allocation, wanted int) {
	keep, up := h.factors()
	allocs = make([]Allocation, len(slots))
	used := 0
	order := make([]int, 0, len(slots))
	for i, s := range slots {
		allocs[i] = Allocation{ID: s.ID, Layer: -1}
		switch {
		case s.Kind != Audio:
			order = append(order, i)
		case len(s.Layers) > 0:
			allocs[i].Layer, allocs[i].Bitrate = 0, rateOf(s.Layers, 0)
			used += allocs[i].Bitrate
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(slots[b].Priority, slots[a].Priority) })

	fits := func(total, target, current int) bool {
		f := up
		if target <= current {
			f = keep
		}
		return float64(total) <= float64(max(budget, 0))*f
	}
	// The first step that did not fit (in allocation order) sets wanted:
	// its cost on top of everything allocated in its phase, over its
	// margin.
	blocked, blockedCost, blockedFactor := false, 0, 1.0
	block := func(cost, target, current int) {
		if blocked {
			return
		}
		blocked, blockedCost, blockedFactor = true, cost, up
		if target <= current {
			blockedFactor = keep
		}
	}

	level := make([]int, len(slots))
	for _, i := range order {
		s := &slots[i]
		level[i] = -1
		if len(s.Layers) == 0 {
			continue
		}
		cur := min(max(s.Current, -1), len(s.Layers)-1)
		if cost := rateOf(s.Layers, 0); fits(used+cost, 0, cur) {
			level[i] = 0
			used += cost
		} else {
			block(cost, 0, cur)
		}
	}
	if blocked {
		// A paused slot resumes before anything is upgraded: it needs the
		// base layers only.
		wanted = int(math.Ceil(float64(used+blockedCost) / blockedFactor))
	}
	for _, i := range order {
		s := &slots[i]
		if level[i] < 0 {
			continue
		}
		cur := min(max(s.Current, -1), len(s.Layers)-1)
		for next := level[i] + 1; next < len(s.Layers); next++ {
			delta := rateOf(s.Layers, next) - rateOf(s.Layers, level[i])
			if !fits(used+delta, next, cur) {
				block(delta, next, cur)
				break
			}
			level[i] = next
			used += delta
		}
	}
	if blocked && wanted == 0 {
		// An upgrade needs what is allocated, lower-priority upgrades that
		// went ahead included, plus its own step.
		wanted = int(math.Ceil(float64(used+blockedCost) / blockedFactor))
	}
	for _, i := range order {
		if level[i] >= 0 {
			allocs[i].Layer, allocs[i].Bitrate = level[i], rateOf(slots[i].Layers, level[i])
		}
	}
	return allocs, wanted
}

// ValidateSlots checks slots for mistakes [Allocate] would silently
// tolerate: empty or duplicate IDs, unknown kinds, negative or decreasing
// layer bit rates, a Current out of range. Errors wrap [ErrInvalidSlot].
func ValidateSlots(slots []Slot) error {
	seen := make(map[string]bool, len(slots))
	for _, s := range slots {
		switch {
		case s.ID == "":
			return fmt.Errorf("%w: empty id", ErrInvalidSlot)
		case seen[s.ID]:
			return fmt.Errorf("%w: duplicate id %q", ErrInvalidSlot, s.ID)
		case s.Kind != Audio && s.Kind != Video:
			return fmt.Errorf("%w: slot %q: unknown kind %d", ErrInvalidSlot, s.ID, s.Kind)
		case s.Current < -1 || s.Current >= max(len(s.Layers), 1) || (len(s.Layers) == 0 && s.Current != -1):
			return fmt.Errorf("%w: slot %q: current layer %d out of range", ErrInvalidSlot, s.ID, s.Current)
		}
		seen[s.ID] = true
		for j, r := range s.Layers {
			if r < 0 || (j > 0 && r < s.Layers[j-1]) {
				return fmt.Errorf("%w: slot %q: layer %d bit rate %d negative or below the layer under it", ErrInvalidSlot, s.ID, j, r)
			}
		}
	}
	return nil
}

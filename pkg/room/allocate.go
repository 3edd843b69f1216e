package room

import (
	"math"

	"github.com/switchyard-sfu/switchyard/pkg/bwe"
	"github.com/switchyard-sfu/switchyard/pkg/simulcast"
)

// allocation sums up what allocate decided for one connection.
type allocation struct {
	// caps is the receiver's total cap (bit/s, 0: none), which also bounds
	// the estimate.
	caps int
	// budget is what was spent from (bit/s, 0: unlimited) and allocated
	// what the live slots got.
	budget, allocated int
	// wanted is the budget the most urgent blocked upgrade or resume needs
	// (bit/s, 0: nothing blocked): the probe target.
	wanted int
	// paused counts video slots that are bandwidth disabled.
	paused int
}

// allocate spends the connection's budget, min(receive caps, bandwidth
// estimate), on its live slots with [bwe.Allocate]: audio first, then video
// slots by request priority, each first at its lowest layer (a slot that
// cannot get even that is bandwidth disabled), then upgraded in priority
// order while budget remains. Hysteresis applies to the estimate only: the
// caps are the receiver's exact limits.
func allocate(in planInput, out []planned) allocation {
	caps := in.caps()
	audio := 0
	for _, p := range out {
		if p.kind == KindAudio && p.state == SlotLive {
			audio += audioSlotBitrate
		}
	}
	capBudget := 0
	if caps.TotalKbps > 0 {
		capBudget = caps.TotalKbps * 1000
	}
	if caps.VideoKbps > 0 {
		capBudget = minPositive(capBudget, caps.VideoKbps*1000+audio)
	}
	budget, h := budgetOf(capBudget, in.estimate)
	if budget == 0 {
		return allocation{} // unlimited: limits alone decide
	}
	var slots []bwe.Slot
	var index []int
	costs := make([][]layerCost, len(out))
	for i, p := range out {
		switch {
		case p.state != SlotLive:
			continue
		case p.kind == KindAudio:
			slots = append(slots, bwe.Slot{ID: p.mid, Kind: bwe.Audio, Layers: []int{audioSlotBitrate}, Current: 0})
		default:
			costs[i] = layerCosts(in.sources[p.source].layers, p.limits)
			if len(costs[i]) == 0 {
				continue // no active layer: the slot shows the avatar
			}
			s := bwe.Slot{ID: p.mid, Kind: bwe.Video, Priority: p.priority, Current: -1}
			cur, ok := in.current[p.mid]
			for k, c := range costs[i] {
				s.Layers = append(s.Layers, c.bitrate)
				if ok && c.index == cur {
					s.Current = k
				}
			}
			slots = append(slots, s)
		}
		index = append(index, i)
	}
	allocs, wanted := bwe.Allocate(budget, slots, h)
	capVideo := -1 // no caps
	if capBudget > 0 {
		capVideo = max(capBudget-audio, 0)
	}
	keepOnePicture(slots, allocs, capVideo)
	res := allocation{caps: capBudget, budget: budget, wanted: wanted}
	for k, a := range allocs {
		p := &out[index[k]]
		res.allocated += a.Bitrate
		if p.kind == KindAudio {
			continue
		}
		if a.Layer < 0 {
			p.state = SlotBandwidthDisabled
			res.paused++
			continue
		}
		p.budget = a.Bitrate
		p.alloc = costs[index[k]][a.Layer].index
	}
	return res
}

// keepOnePicture gives the highest-priority video slot its lowest layer
// when the budget paused every video slot: one picture keeps moving, and
// its packets are what the estimator measures and the prober re-sends, so
// the estimate can recover (with nothing forwarded it could never rise
// again). The receiver's caps still hold: capVideo is what they leave for
// video (bit/s, -1: no caps).
func keepOnePicture(slots []bwe.Slot, allocs []bwe.Allocation, capVideo int) {
	best := -1
	for i, s := range slots {
		if s.Kind != bwe.Video || len(s.Layers) == 0 {
			continue
		}
		if allocs[i].Layer >= 0 {
			return
		}
		if best < 0 || s.Priority > slots[best].Priority {
			best = i
		}
	}
	if best >= 0 && (capVideo < 0 || slots[best].Layers[0] <= capVideo) {
		allocs[best].Layer, allocs[best].Bitrate = 0, slots[best].Layers[0]
	}
}

// budgetOf returns the budget to allocate and the hysteresis to apply:
// the caps exactly when they bind even at the upgrade margin, else the
// estimate with [bwe.DefaultHysteresis], its keep margin reduced so that
// it never keeps more than the caps.
func budgetOf(capBudget, estimate int) (int, bwe.Hysteresis) {
	h := bwe.DefaultHysteresis
	switch {
	case estimate <= 0:
		return capBudget, bwe.Hysteresis{}
	case capBudget > 0 && float64(capBudget) <= float64(estimate)*h.Upgrade:
		return capBudget, bwe.Hysteresis{}
	case capBudget > 0:
		h.Keep = math.Min(h.Keep, float64(capBudget)/float64(estimate))
	}
	return estimate, h
}

func minPositive(a, b int) int {
	switch {
	case a <= 0:
		return b
	case b <= 0:
		return a
	}
	return min(a, b)
}

// layerCost is one layer a slot may forward and what it costs.
type layerCost struct {
	index   int // simulcast layer index
	bitrate int // bit/s, never below the layers under it
}

// layerCosts returns the active layers that fit lim, lowest first; the
// lowest active layer is always included. A measured rate below a lower
// layer's counts as that rate, so costs never decrease.
func layerCosts(layers []simulcast.Layer, lim simulcast.Limits) []layerCost {
	var costs []layerCost
	top, fits, _ := simulcast.Select(layers, lim, 0)
	sorted := make([]simulcast.Layer, 0, len(layers))
	for _, l := range layers {
		if l.Active {
			sorted = append(sorted, l)
		}
	}
	// Layers may come in any order.
	for i := 1; i < len(sorted); i++ {
		for j := i; j > 0 && sorted[j].Index < sorted[j-1].Index; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	for _, l := range sorted {
		if fits && l.Index > top && len(costs) > 0 {
			break
		}
		c := layerBitrate(l)
		if n := len(costs); n > 0 {
			c = max(c, costs[n-1].bitrate)
		}
		costs = append(costs, layerCost{index: l.Index, bitrate: c})
	}
	return costs
}

func layerBitrate(l simulcast.Layer) int {
	if l.Bitrate > 0 {
		return l.Bitrate
	}
	return simulcast.NominalBitrate(l.Index)
}

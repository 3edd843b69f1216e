package main

// idealFit is what an ideal allocator that forwards whole simulcast layers
// could send under capacity (bit/s): the largest sum of one layer rate (or
// nothing) per slot that does not exceed capacity. rates are the layers'
// bitrates, the same set for every slot. With allOn, every slot must carry
// at least its lowest layer (0 if even that does not fit).
func idealFit(capacity int, rates []int, slots int, allOn bool) int {
	best := -1
	var walk func(slot, sum int)
	walk = func(slot, sum int) {
		if sum > capacity {
			return
		}
		if slot == slots {
			best = max(best, sum)
			return
		}
		if !allOn {
			walk(slot+1, sum)
		}
		for _, r := range rates {
			walk(slot+1, sum+r)
		}
	}
	walk(0, 0)
	return max(best, 0)
}

// layerRates are the scenario's layer bitrates.
func layerRates() []int {
	out := make([]int, len(layers))
	for i, l := range layers {
		out[i] = l.Bitrate
	}
	return out
}

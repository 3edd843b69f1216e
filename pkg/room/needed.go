package room

import (
	"slices"

	"github.com/switchyard-sfu/switchyard/pkg/forwarder"
)

// addStillForwarded adds to needed, for every slot and auto-mode
// subscription that is switching layers, the layer its DownTrack still
// forwards: a video switch waits for the new layer's keyframe while the
// old layer goes on, so a meeting service that paused the old layer as
// soon as LayersNeeded stopped listing it would freeze the picture until
// that keyframe. Once the switch completes, the next plan (at the latest
// the next tick) leaves the old layer out. Runs on the actor.
func (r *Room) addStillForwarded(needed map[uint32][]int) {
	var layerOf map[*forwarder.Receiver]layerRef
	add := func(down *forwarder.DownTrack, target *forwarder.Receiver) {
		cur := down.Source()
		if cur == nil || cur == target || down.Paused() {
			return
		}
		if layerOf == nil {
			layerOf = r.layerRefs()
		}
		if l, ok := layerOf[cur]; ok && !slices.Contains(needed[l.source], l.index) {
			needed[l.source] = append(needed[l.source], l.index)
		}
	}
	for _, c := range r.conns {
		if c.closed {
			continue
		}
		for _, s := range c.slots {
			if s.kind == KindVideo {
				add(s.down, s.target)
			}
		}
		for _, s := range c.subs {
			if s.src.info.Kind == KindVideo {
				add(s.down, s.target)
			}
		}
	}
}

// layerRef names one simulcast layer of a source.
type layerRef struct {
	source uint32
	index  int
}

// layerRefs maps the Receiver of every layer of every source to the layer.
func (r *Room) layerRefs() map[*forwarder.Receiver]layerRef {
	out := make(map[*forwarder.Receiver]layerRef)
	for id, src := range r.sources {
		for _, l := range src.layers {
			out[l.receiver] = layerRef{source: id, index: l.index}
		}
	}
	return out
}

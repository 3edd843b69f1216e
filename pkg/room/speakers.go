package room

import (
	"slices"
	"time"
)

// tickInterval is how often the room samples audio levels, evaluates the
// dominant speaker and re-plans (layer activity and bit rates change
// without any control-plane event).
const tickInterval = 200 * time.Millisecond

// runTicker posts tick to the actor until the room closes. Its own
// goroutine; it touches no room state.
func (r *Room) runTicker() {
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	for {
		select {
		case <-r.done:
			return
		case <-t.C:
			r.post(r.tick)
		}
	}
}

// tick feeds the speaker detector with each main audio source's mean level
// since the last tick (from the forwarder's atomic counters, so the packet
// path is untouched), announces a changed speaker order and re-plans.
func (r *Room) tick() {
	if r.closed {
		return
	}
	now := r.m.o.Now()
	for id, src := range r.sources {
		if src.info.Kind != KindAudio || src.info.Content != ContentMain || len(src.layers) == 0 {
			continue
		}
		cur := src.layers[0].receiver.AudioLevel()
		prev := r.levels[id]
		r.levels[id] = cur
		n := cur.Packets - prev.Packets
		if n == 0 || cur.Packets < prev.Packets {
			continue
		}
		if !r.forwardable(src) {
			// A muted or held speaker is silent to everyone.
			r.speakers.Observe(id, 127, 0, now)
			continue
		}
		mean := float64(cur.LevelSum-prev.LevelSum) / float64(n)
		voiced := float64(cur.Voiced-prev.Voiced) / float64(n)
		r.speakers.Observe(id, mean, voiced, now)
	}
	r.speakers.Evaluate(now)
	order := r.speakers.Speakers(len(r.sources))
	if !slices.Equal(order, r.speakerOrder) {
		r.speakerOrder = order
		r.emit(ActiveSpeakers{SourceIDs: slices.Clone(order)})
	}
	r.replan()
}

package room

import (
	"slices"
	"strings"
	"time"

	"github.com/switchyard-sfu/switchyard/pkg/forwarder"
	"github.com/switchyard-sfu/switchyard/pkg/simulcast"
)

// replanAuto allocates an auto-mode connection's bandwidth estimate over
// its subscriptions (planAuto), points each DownTrack at its layer, pauses
// what may not or cannot be forwarded, adds the layers it forwards to
// needed and lets the controller probe (afterAllocation). Without a
// controller or an estimate every subscription follows its source's
// highest active layer. Runs on the actor.
func (r *Room) replanAuto(c *Connection, now time.Time, needed map[uint32][]int) {
	subs := make([]*subscription, 0, len(c.subs))
	for _, s := range c.subs {
		subs = append(subs, s)
	}
	// A stable order: equal priorities are served in input order.
	slices.SortFunc(subs, func(a, b *subscription) int { return strings.Compare(a.src.info.ID, b.src.info.ID) })
	in := make([]autoSub, len(subs))
	for i, s := range subs {
		in[i] = autoSub{id: s.src.info.ID, kind: s.src.info.Kind, source: s.src.info.SourceID,
			live: r.forwardable(s.src) && c.receives(s.src), current: s.allocated}
		if s.src.info.Kind == KindVideo {
			in[i].layers = s.src.simLayers(now)
		}
	}
	ps, alloc := planAuto(in, r.speakerOrder, c.estimate())
	var cands []probeCandidate
	for i, s := range subs {
		r.applyAuto(s, ps[i], in[i].layers, alloc.budget > 0, now)
		if s.target == nil || s.paused {
			continue
		}
		id := s.src.info.SourceID
		needed[id] = appendLayer(needed[id], s.src, s.target)
		// Only once negotiated (bound): a subscription is planned before
		// the node's offer for it is answered, and the probe warmup must
		// not run out before anything can be forwarded.
		if s.prober != nil && s.down.SSRC() != 0 {
			cands = append(cands, probeCandidate{prober: s.prober, priority: ps[i].priority, name: s.src.info.ID})
		}
	}
	c.afterAllocation(alloc, cands)
}

// applyAuto points s's DownTrack at the layer planned for it and pauses it
// while it may not be forwarded (p not live) or the budget cannot carry it.
// allocating is false when the connection's estimate was not allocated:
// then, and for audio, the DownTrack follows the highest active layer,
// paused only for the first reason, as without congestion control.
func (r *Room) applyAuto(s *subscription, p planned, layers []simulcast.Layer, allocating bool, now time.Time) {
	target, paused := s.target, p.state != SlotLive
	s.allocated = p.alloc
	switch {
	case s.src.info.Kind == KindAudio || !allocating:
		s.selector = nil // a later allocation starts from a fresh choice
		target = s.src.topActive(now)
	case paused:
		// Detached as well as paused: on resume the DownTrack waits for a
		// keyframe of the layer chosen then, so nothing of the layer it
		// had before (maybe a higher one) leaks out first.
		target = nil
	default:
		if s.selector == nil {
			s.selector = simulcast.NewSelector(simulcast.SelectorOptions{})
		}
		idx, st := autoLayer(s.selector, layers, p, now)
		switch st {
		case SlotLive:
			target = s.src.layerReceiver(idx)
		case SlotAvatar:
			target = s.src.topActive(now) // no active layer: its lowest, as before
		default:
			target, paused = nil, true
		}
	}
	s.paused = paused
	// Paused first: a switch from nothing asks for the new layer's
	// keyframe only when the DownTrack is not paused, and a DownTrack
	// being paused must not forward what it is switched to.
	s.down.SetPaused(paused)
	if target != s.target {
		s.target = target
		s.down.SwitchTo(target)
	}
}

// probeCandidate is a video DownTrack forwarding something, which could
// carry its connection's bandwidth probes.
type probeCandidate struct {
	prober   *forwarder.Prober
	priority int
	name     string // slot mid or track id, for the log
}

package room

import (
	"errors"
	"time"

	"github.com/switchyard-sfu/switchyard/pkg/simulcast"
)

// autoSub is one auto-mode subscription as planAuto sees it.
type autoSub struct {
	id     string // the subscription's track id (the publication)
	kind   TrackKind
	source uint32
	// live is false while the source may not reach the receiver (muted,
	// held, that kind of media switched off): the subscription is paused
	// for that reason and costs nothing.
	live   bool
	layers []simulcast.Layer // video: the source's layers now
	// current is the layer the allocator gave the subscription last time,
	// -1 for none: its hysteresis state.
	current int
}

// autoSpeakerPriority is the allocation priority of the active speaker's
// video on an auto-mode connection; every other video has 0.
const autoSpeakerPriority = 1

// planAuto allocates an auto-mode connection's bandwidth estimate over its
// subscriptions with the slots' allocator (allocate): audio first at
// audioSlotBitrate, then video at its source's active layers without
// limits, the active speaker's video (the first of speakers, audio source
// ids dominant first, whose device's video is subscribed) before the others,
// which share one priority in input order. It returns one planned row per
// subscription, in input order, with mid set to the subscription's id:
// state SlotLive with alloc and budget, SlotBandwidthDisabled when the
// estimate cannot carry even the lowest layer, SlotNoSource when not live.
// An estimate <= 0 (no controller, or no estimate yet) allocates nothing:
// every live row has budget 0, unlimited. Pure; the caller keeps the input
// order stable (sorted by id) so that equal priorities do not trade layers
// from one call to the next.
func planAuto(subs []autoSub, speakers []uint32, estimate int) ([]planned, allocation) {
	in := planInput{
		estimate: estimate,
		sources:  make(map[uint32]*planSource, len(subs)),
		current:  make(map[string]int, len(subs)),
	}
	speaker := autoSpeakerVideo(subs, speakers)
	out := make([]planned, len(subs))
	for i, s := range subs {
		p := planned{mid: s.id, kind: s.kind, state: SlotNoSource, source: s.source, alloc: -1}
		if s.live {
			p.state = SlotLive
		}
		if s.kind == KindVideo {
			in.sources[s.source] = &planSource{id: s.source, kind: KindVideo, forwardable: s.live, layers: s.layers}
			if s.current >= 0 {
				in.current[s.id] = s.current
			}
			if s.source == speaker {
				p.priority = autoSpeakerPriority
			}
		}
		out[i] = p
	}
	if estimate <= 0 {
		return out, allocation{}
	}
	return out, allocate(in, out)
}

// autoSpeakerVideo returns the source id of the video of the most active
// speaker among subs, 0 when none of them has video subscribed.
func autoSpeakerVideo(subs []autoSub, speakers []uint32) uint32 {
	for _, a := range speakers {
		video := videoOf(a)
		for _, s := range subs {
			if s.kind == KindVideo && s.source == video {
				return video
			}
		}
	}
	return 0
}

// autoLayer picks the layer an auto-mode video subscription forwards for
// its planned row p. Unallocated (budget 0: no controller or no estimate)
// it is the highest active layer, at once, as without congestion control;
// allocated, it is sel's choice within the budget plus 20 % headroom (what
// the selector needs to go up), so switches keep sel's hold and happen at
// keyframes. state is SlotLive with the layer, SlotBandwidthDisabled when
// nothing fits the budget, SlotAvatar when the source has no active layer
// (the caller keeps today's fallback, its lowest layer). sel may be nil
// only when p is unallocated.
func autoLayer(sel *simulcast.Selector, layers []simulcast.Layer, p planned, now time.Time) (int, SlotState) {
	switch {
	case p.state == SlotBandwidthDisabled:
		return -1, SlotBandwidthDisabled
	case p.budget <= 0:
		for i := len(layers) - 1; i >= 0; i-- {
			if layers[i].Active {
				return layers[i].Index, SlotLive
			}
		}
		return -1, SlotAvatar
	}
	idx, ok := sel.Update(layers, simulcast.Limits{}, p.budget+p.budget/5, now)
	switch {
	case ok:
		return idx, SlotLive
	case errors.Is(noActiveLayer(layers, simulcast.Limits{}), simulcast.ErrNoActiveLayer):
		return -1, SlotAvatar
	}
	return -1, SlotBandwidthDisabled
}

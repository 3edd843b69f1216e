package room

import (
	"sort"

	"github.com/switchyard-sfu/switchyard/pkg/simulcast"
)

// planSource is what the planner knows about one source.
type planSource struct {
	id          uint32
	participant string
	kind        TrackKind
	content     Content
	// forwardable is false while the source is muted, its connection held
	// or its sending disabled.
	forwardable bool
	layers      []simulcast.Layer
}

// planInput is one slots-mode connection's view of the room (planAuto
// fills the part allocate reads for an auto-mode connection).
type planInput struct {
	participant string // the receiver, never shown its own media by policy
	slots       []slotInfo
	request     *MediaRequest
	sources     map[uint32]*planSource
	// speakers lists audio sources, dominant speaker first.
	speakers    []uint32
	floorHolder string
	// estimate is the connection's bandwidth estimate in bit/s (0: none,
	// only the caps bound the allocation).
	estimate int
	// current is the simulcast layer the allocator gave each video slot
	// last time (by mid; absent or -1: none), for its hysteresis.
	current map[string]int
}

// caps is the receiver's request caps; none without a request (an
// auto-mode connection has no media request).
func (in planInput) caps() ReceiveCaps {
	if in.request == nil {
		return ReceiveCaps{}
	}
	return in.request.Caps
}

// planned is the planner's choice for one slot: which source, and the
// bit rate budget it may spend (0: unlimited).
type planned struct {
	mid      string
	kind     TrackKind
	content  Content
	state    SlotState
	source   uint32
	limits   simulcast.Limits
	budget   int
	priority int
	// alloc is the simulcast layer the allocator gave a video slot, -1
	// when it gave none (paused, or no budget to allocate).
	alloc int
}

// audioSlotBitrate is what an audio slot is assumed to cost (Opus), for
// splitting a total cap between audio and video.
const audioSlotBitrate = 64_000

// plan decides which source each receive slot shows and allocates the
// connection's budget across them (see allocate). It is pure: the room
// applies its result (DownTrack switches, statuses) and picks layers with
// each slot's simulcast.Selector within the budgets computed here.
func plan(in planInput) ([]planned, allocation) {
	out := make([]planned, len(in.slots))
	index := make(map[string]int, len(in.slots))
	for i, s := range in.slots {
		out[i] = planned{mid: s.mid, kind: s.kind, state: SlotNoSource, alloc: -1}
		index[s.mid] = i
	}
	if in.request == nil {
		return out, allocation{}
	}
	entries := make([]RequestEntry, len(in.request.Entries))
	copy(entries, in.request.Entries)
	// Receiver-selected entries (pins) first, then active speaker by
	// priority, highest first; the sort is stable so equal priorities keep
	// the request's order.
	sort.SliceStable(entries, func(i, j int) bool { return entryRank(entries[i]) > entryRank(entries[j]) })

	shown := make(map[uint32]bool)
	for _, e := range entries {
		if len(e.Slots) == 0 {
			continue
		}
		kind := in.slots[index[e.Slots[0]]].kind
		var cands []uint32
		switch e.Policy {
		case PolicyReceiverSelected:
			cands = []uint32{e.SourceID}
		case PolicyActiveSpeaker:
			cands = speakerCandidates(in, kind, e, shown)
		}
		for k, mid := range e.Slots {
			p := &out[index[mid]]
			p.limits, p.priority, p.content = e.Limits, entryRank(e), e.Content
			if k >= len(cands) {
				continue // no source
			}
			src := in.sources[cands[k]]
			p.source = cands[k]
			shown[cands[k]] = true
			p.state = sourceState(in, src, kind, e.Content)
		}
	}
	return out, allocate(in, out)
}

func entryRank(e RequestEntry) int {
	if e.Policy == PolicyReceiverSelected {
		return MaxPriority + 1
	}
	return e.Priority
}

// sourceState is the status of a slot showing src.
func sourceState(in planInput, src *planSource, kind TrackKind, content Content) SlotState {
	switch {
	case src == nil || src.kind != kind || src.content != content:
		return SlotInvalidSource
	case src.content == ContentSlides && src.participant != in.floorHolder:
		return SlotNoSource // only the floor holder's share is forwarded
	case !src.forwardable && kind == KindVideo:
		return SlotAvatar
	case !src.forwardable:
		return SlotNoSource
	}
	return SlotLive
}

// speakerCandidates orders the sources an active-speaker entry may show:
// audio sources by speaking order; video sources of the same devices in
// that order, then video sources of devices without audio. The receiver's
// own media is never a candidate.
func speakerCandidates(in planInput, kind TrackKind, e RequestEntry, shown map[uint32]bool) []uint32 {
	ok := func(s *planSource) bool {
		if s == nil || s.kind != kind || s.content != e.Content || s.participant == in.participant {
			return false
		}
		if shown[s.id] && !e.CrossPriorityDuplication {
			return false
		}
		if kind == KindAudio && !s.forwardable {
			return false // a muted speaker is nobody to hear
		}
		if e.Content == ContentSlides && s.participant != in.floorHolder {
			return false
		}
		return !(e.PreferLiveVideo && !s.forwardable)
	}
	var out []uint32
	seen := make(map[uint32]bool)
	add := func(id uint32) {
		if s := in.sources[id]; !seen[id] && ok(s) {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, a := range in.speakers {
		if kind == KindAudio {
			add(a)
		} else {
			add(videoOf(a))
		}
	}
	// Sources the speaker order does not cover (no audio, share), stable by id.
	rest := make([]uint32, 0, len(in.sources))
	for id := range in.sources {
		rest = append(rest, id)
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i] < rest[j] })
	for _, id := range rest {
		add(id)
	}
	return out
}

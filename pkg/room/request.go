package room

import (
	"fmt"

	"github.com/switchyard-sfu/switchyard/pkg/simulcast"
)

// Content distinguishes main media from shared content (slides).
type Content string

// Contents.
const (
	ContentMain   Content = "main"
	ContentSlides Content = "slides"
)

// SubscribeMode says how a connection receives media.
type SubscribeMode int

// Subscribe modes.
const (
	// SubscribeAuto forwards every other participant's tracks, added by
	// node-initiated offers.
	SubscribeAuto SubscribeMode = iota
	// SubscribeSlots fills the connection's recvonly m-lines (receive
	// slots) according to its media requests, without renegotiation.
	SubscribeSlots
)

// Policy chooses the sources of a request entry.
type Policy int

// Policies.
const (
	PolicyActiveSpeaker Policy = iota
	PolicyReceiverSelected
)

// MaxPriority is the highest active-speaker priority.
const MaxPriority = 255

// MediaRequest is what a slots-mode connection asks to receive.
type MediaRequest struct {
	// Seq starts at 1: lower than the request in force is ignored, equal
	// is re-acknowledged.
	Seq     uint64
	Entries []RequestEntry
	Caps    ReceiveCaps
}

// RequestEntry fills its slots by one policy.
type RequestEntry struct {
	Policy Policy
	// Active speaker: Priority 0-255 (higher first), PreferLiveVideo skips
	// sources whose video is muted, CrossPriorityDuplication allows a source
	// a higher-priority entry already shows.
	Priority                 int
	PreferLiveVideo          bool
	CrossPriorityDuplication bool
	// Receiver selected: the source to show.
	SourceID uint32
	// Slots are receive-slot mids, in the order they are filled.
	Slots   []string
	Limits  simulcast.Limits
	Content Content
}

// ReceiveCaps are a connection's receive bandwidth caps in kbit/s (0:
// unlimited).
type ReceiveCaps struct {
	TotalKbps, AudioKbps, VideoKbps int
}

// SlotState is what a receive slot shows.
type SlotState string

// Slot states, as Webex clients name them.
const (
	SlotLive              SlotState = "live"
	SlotNoSource          SlotState = "no source"
	SlotAvatar            SlotState = "avatar"
	SlotInvalidSource     SlotState = "invalid source"
	SlotBandwidthDisabled SlotState = "bandwidth disabled"
)

// SlotStatus is one slot's state.
type SlotStatus struct {
	Mid      string
	State    SlotState
	SourceID uint32
	// Layer is the forwarded spatial layer of a live video slot.
	Layer int
}

// slotInfo is what validation needs to know about a slot.
type slotInfo struct {
	mid  string
	kind TrackKind
}

// validate checks a request against the connection's slots and the room's
// sources. Every error names the offending field.
func (q *MediaRequest) validate(slots []slotInfo, sourceKnown func(uint32) bool) error {
	if q.Seq == 0 {
		return fmt.Errorf("%w: seq must be at least 1", ErrInvalidArgument)
	}
	if q.Caps.TotalKbps < 0 || q.Caps.AudioKbps < 0 || q.Caps.VideoKbps < 0 {
		return fmt.Errorf("%w: caps must not be negative", ErrInvalidArgument)
	}
	kinds := make(map[string]TrackKind, len(slots))
	for _, s := range slots {
		kinds[s.mid] = s.kind
	}
	used := make(map[string]int)
	total := 0
	for i, e := range q.Entries {
		field := fmt.Sprintf("requests[%d]", i)
		if len(e.Slots) == 0 {
			return fmt.Errorf("%w: %s.slots is empty", ErrInvalidArgument, field)
		}
		switch e.Policy {
		case PolicyActiveSpeaker:
			if e.Priority < 0 || e.Priority > MaxPriority {
				return fmt.Errorf("%w: %s.active_speaker.priority %d is outside 0-255", ErrInvalidArgument, field, e.Priority)
			}
		case PolicyReceiverSelected:
			if e.SourceID == 0 {
				return fmt.Errorf("%w: %s.receiver_selected.source_id is required", ErrInvalidArgument, field)
			}
			if !sourceKnown(e.SourceID) {
				return fmt.Errorf("%w: %s.receiver_selected.source_id %d is not a source in this room", ErrInvalidArgument, field, e.SourceID)
			}
		default:
			return fmt.Errorf("%w: %s has no policy", ErrInvalidArgument, field)
		}
		if e.Content != ContentMain && e.Content != ContentSlides {
			return fmt.Errorf("%w: %s.content %q is unknown", ErrInvalidArgument, field, e.Content)
		}
		l := e.Limits
		if l.MaxFs < 0 || l.MaxFps < 0 || l.MaxWidth < 0 || l.MaxHeight < 0 || l.MaxBitrate < 0 {
			return fmt.Errorf("%w: %s.limits must not be negative", ErrInvalidArgument, field)
		}
		var kind TrackKind
		for j, mid := range e.Slots {
			k, ok := kinds[mid]
			if !ok {
				return fmt.Errorf("%w: %s.slots[%d] %q is not a receive slot of this connection", ErrInvalidArgument, field, j, mid)
			}
			if prev, dup := used[mid]; dup {
				return fmt.Errorf("%w: %s.slots[%d] %q is already used by requests[%d]", ErrInvalidArgument, field, j, mid, prev)
			}
			used[mid] = i
			if j == 0 {
				kind = k
			} else if k != kind {
				return fmt.Errorf("%w: %s.slots mixes audio and video slots", ErrInvalidArgument, field)
			}
		}
		if kind == KindVideo && e.Limits.MaxFs == 0 {
			return fmt.Errorf("%w: %s.limits.max_fs must be at least 1 (60 thumbnail ... 8192 large)", ErrInvalidArgument, field)
		}
		total += len(e.Slots)
	}
	if total > len(slots) {
		return fmt.Errorf("%w: request names %d slots, the connection offered %d", ErrInvalidArgument, total, len(slots))
	}
	return nil
}

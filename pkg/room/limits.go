package room

import (
	"errors"
	"fmt"
	"time"

	"github.com/pion/sdp/v3"
)

// ErrLimit marks a request that would exceed a configured limit
// (ResourceExhausted).
var ErrLimit = errors.New("limit reached")

// Limits protect a node. Zero fields take the defaults below, sized for a
// node with 2 cores.
type Limits struct {
	// Rooms per node.
	Rooms int
	// DevicesPerParticipant: connections one participant may hold at once.
	DevicesPerParticipant int
	// TracksPerConnection: media a connection may publish (send m-lines).
	TracksPerConnection int
	// SlotsPerConnection: receive slots (receiving m-lines) in slots mode.
	SlotsPerConnection int
	// EventSubscribersPerRoom: concurrent Events streams on one room.
	EventSubscribersPerRoom int
	// FailedTimeout is how long a connection whose transport failed is
	// kept (for an ICE restart) before it is closed and announced gone.
	FailedTimeout time.Duration
}

// Default limits.
const (
	DefaultRooms                   = 50
	DefaultDevicesPerParticipant   = 4
	DefaultTracksPerConnection     = 6
	DefaultSlotsPerConnection      = 24
	DefaultEventSubscribersPerRoom = 16
	DefaultFailedTimeout           = 10 * time.Second
)

func (l Limits) withDefaults() Limits {
	set := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&l.Rooms, DefaultRooms)
	set(&l.DevicesPerParticipant, DefaultDevicesPerParticipant)
	set(&l.TracksPerConnection, DefaultTracksPerConnection)
	set(&l.SlotsPerConnection, DefaultSlotsPerConnection)
	set(&l.EventSubscribersPerRoom, DefaultEventSubscribersPerRoom)
	if l.FailedTimeout <= 0 {
		l.FailedTimeout = DefaultFailedTimeout
	}
	return l
}

// checkOfferLimits counts the offer's sending and receiving m-lines against
// the per-connection limits before anything is applied.
func (l Limits) checkOfferLimits(raw string, mode SubscribeMode) error {
	var s sdp.SessionDescription
	if err := s.UnmarshalString(raw); err != nil {
		return fmt.Errorf("%w: malformed SDP: %v", ErrNegotiation, err)
	}
	var send, recv int
	for _, m := range s.MediaDescriptions {
		if m.MediaName.Media != "audio" && m.MediaName.Media != "video" || m.MediaName.Port.Value == 0 {
			continue
		}
		dir := "sendrecv"
		for _, d := range []string{"sendonly", "recvonly", "inactive", "sendrecv"} {
			if _, ok := m.Attribute(d); ok {
				dir = d
			}
		}
		if dir == "sendonly" || dir == "sendrecv" {
			send++
		}
		if dir == "recvonly" || dir == "sendrecv" {
			recv++
		}
	}
	if send > l.TracksPerConnection {
		return fmt.Errorf("%w: the offer publishes %d media, at most %d per connection", ErrLimit, send, l.TracksPerConnection)
	}
	if mode == SubscribeSlots && recv > l.SlotsPerConnection {
		return fmt.Errorf("%w: the offer has %d receive slots, at most %d per connection", ErrLimit, recv, l.SlotsPerConnection)
	}
	return nil
}

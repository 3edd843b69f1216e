package room

import (
	"fmt"
	"unicode"

	"github.com/switchyard-sfu/switchyard/pkg/roap"
)

// MaxIDLength bounds every id the API accepts.
const MaxIDLength = 128

func validateID(field, v string) error {
	if v == "" {
		return fmt.Errorf("%w: %s is required", ErrInvalidArgument, field)
	}
	if len(v) > MaxIDLength {
		return fmt.Errorf("%w: %s is %d bytes, at most %d allowed", ErrInvalidArgument, field, len(v), MaxIDLength)
	}
	for _, c := range v {
		if unicode.IsControl(c) || unicode.IsSpace(c) {
			return fmt.Errorf("%w: %s %q contains whitespace or control characters", ErrInvalidArgument, field, v)
		}
	}
	return nil
}

// JoinParams are the inputs of Join.
type JoinParams struct {
	RoomID        string
	ParticipantID string
	DeviceID      string
	DisplayName   string
	// Offer is the client's ROAP OFFER.
	Offer roap.Message
	// Mode says how the connection receives media.
	Mode SubscribeMode
}

// JoinResult is what Join returns.
type JoinResult struct {
	ConnectionID string
	Answer       roap.Message
	// EventSeq is the room's last event before the join took effect.
	EventSeq uint64
}

// MaxDisplayNameLength bounds display names.
const MaxDisplayNameLength = 256

func (p JoinParams) validate() error {
	for _, f := range []struct{ name, v string }{
		{"room_id", p.RoomID}, {"participant_id", p.ParticipantID}, {"device_id", p.DeviceID},
	} {
		if err := validateID(f.name, f.v); err != nil {
			return err
		}
	}
	if len(p.DisplayName) > MaxDisplayNameLength {
		return fmt.Errorf("%w: display_name is %d bytes, at most %d allowed", ErrInvalidArgument, len(p.DisplayName), MaxDisplayNameLength)
	}
	if p.Mode != SubscribeAuto && p.Mode != SubscribeSlots {
		return fmt.Errorf("%w: unknown subscribe_mode %d", ErrInvalidArgument, p.Mode)
	}
	if p.Offer.Type != roap.Offer {
		return fmt.Errorf("%w: offer.message_type must be OFFER, got %q", ErrInvalidArgument, p.Offer.Type)
	}
	if err := p.Offer.Validate(); err != nil {
		return fmt.Errorf("%w: offer: %v", ErrInvalidArgument, err)
	}
	return nil
}

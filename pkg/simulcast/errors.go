package simulcast

import "errors"

// Sentinel errors; errors returned by this package wrap one of them.
var (
	// ErrNoActiveLayer means no layer of the publisher is sending: the slot
	// has nothing to forward ("no source" rather than "bandwidth disabled").
	ErrNoActiveLayer = errors.New("simulcast: no active layer")
	// ErrInvalidLayer means a layer index is out of range or appears twice.
	ErrInvalidLayer = errors.New("simulcast: invalid layer")
)

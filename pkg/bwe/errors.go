package bwe

import "errors"

// Sentinel errors; errors returned by this package wrap one of them.
var (
	// ErrInvalidOptions means an options struct holds a value the package
	// cannot use as given (negative rates, Min above Max, ...). The
	// constructors still work on such options: they clamp instead.
	ErrInvalidOptions = errors.New("bwe: invalid options")
	// ErrInvalidSlot means a [Slot] handed to [ValidateSlots] is malformed:
	// empty or duplicate ID, unknown kind, negative or decreasing layer bit
	// rates. [Allocate] tolerates such slots, but its answer for them is
	// only as good as the input.
	ErrInvalidSlot = errors.New("bwe: invalid slot")
)

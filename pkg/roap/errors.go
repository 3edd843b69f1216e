package roap

import "errors"

// Sentinel errors. Errors from parsing, validation and Session calls, and
// every [Decision.Err], wrap one of them so callers can match with errors.Is.
var (
	// ErrInvalidMessage means a message is malformed: unknown type, missing
	// SDP, seq 0, oversized, bad JSON and the like.
	ErrInvalidMessage = errors.New("roap: invalid message")
	// ErrBusy means the session is in the middle of another exchange: a local
	// call was made outside Idle, or a remote offer arrived while one was
	// being applied.
	ErrBusy = errors.New("roap: session busy")
	// ErrOutOfOrder means a message carried a seq that is too old.
	ErrOutOfOrder = errors.New("roap: out of order")
	// ErrInvalidState means a message does not fit the current state, such
	// as an ANSWER when no offer is outstanding.
	ErrInvalidState = errors.New("roap: invalid state")
	// ErrConflict means a remote offer crossed ours and lost the tie break.
	ErrConflict = errors.New("roap: conflict")
	// ErrDoubleConflict means a remote offer crossed ours with an equal tie
	// breaker, so neither side wins and both must retry.
	ErrDoubleConflict = errors.New("roap: double conflict")
	// ErrRejected means the peer answered our offer or offer request with an
	// ERROR.
	ErrRejected = errors.New("roap: rejected by peer")
	// ErrNoOfferRequest means StartOfferResponse was called without a peer
	// OFFER_REQUEST waiting for a response.
	ErrNoOfferRequest = errors.New("roap: no offer request to respond to")
)

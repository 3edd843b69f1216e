package roap

import (
	"fmt"
	"slices"
)

// MessageType is the ROAP messageType.
type MessageType string

// The ROAP message types Webex clients use.
const (
	// Offer carries an SDP offer and starts an exchange.
	Offer MessageType = "OFFER"
	// Answer carries the SDP answer to an Offer or OfferResponse.
	Answer MessageType = "ANSWER"
	// OK acknowledges an Answer; it is optional.
	OK MessageType = "OK"
	// Error rejects the message with the same seq.
	Error MessageType = "ERROR"
	// OfferRequest asks the peer to make an offer.
	OfferRequest MessageType = "OFFER_REQUEST"
	// OfferResponse carries the offer made for an OfferRequest, with its seq.
	OfferResponse MessageType = "OFFER_RESPONSE"
)

// Known reports whether t is one of the six ROAP message types.
func (t MessageType) Known() bool {
	switch t {
	case Offer, Answer, OK, Error, OfferRequest, OfferResponse:
		return true
	}
	return false
}

// needsSDP reports whether messages of type t must carry an SDP.
func (t MessageType) needsSDP() bool {
	return t == Offer || t == Answer || t == OfferResponse
}

// ErrorType is the errorType of a ROAP ERROR message. The constants are named
// ErrorX rather than ErrX so they do not collide with the sentinel errors.
type ErrorType string

// The ROAP error types Webex clients use. The draft's NOMATCH, TIMEOUT and
// REFUSED are not used by clients and are not accepted.
const (
	// ErrorDoubleConflict: offers crossed with equal tie breakers; both retry.
	ErrorDoubleConflict ErrorType = "DOUBLECONFLICT"
	// ErrorConflict: offers crossed and the receiver's own offer won.
	ErrorConflict ErrorType = "CONFLICT"
	// ErrorFailed: the message could not be processed. With a retryAfter it
	// means "busy, try again"; without one it is final.
	ErrorFailed ErrorType = "FAILED"
	// ErrorInvalidState: the message does not fit the receiver's state.
	ErrorInvalidState ErrorType = "INVALID_STATE"
	// ErrorOutOfOrder: the message's seq is too old.
	ErrorOutOfOrder ErrorType = "OUT_OF_ORDER"
	// ErrorRetry: the sender should retry.
	ErrorRetry ErrorType = "RETRY"
)

// Known reports whether e is one of the six error types clients use.
func (e ErrorType) Known() bool {
	switch e {
	case ErrorDoubleConflict, ErrorConflict, ErrorFailed, ErrorInvalidState, ErrorOutOfOrder, ErrorRetry:
		return true
	}
	return false
}

// ROAP headers seen in Webex traffic.
const (
	// HeaderIncludeAnswerInHTTPResponse asks the meeting service to return the
	// ANSWER in the HTTP response to the request that carried the OFFER.
	HeaderIncludeAnswerInHTTPResponse = "includeAnswerInHttpResponse"
	// HeaderNoOkInTransaction says no OK will follow the ANSWER.
	HeaderNoOkInTransaction = "noOkInTransaction"
)

// Size limits that keep a hostile peer from making us hold or parse megabytes.
const (
	// MaxSDPSize is the largest SDP a message may carry, in bytes.
	MaxSDPSize = 64 << 10
	// MaxMessageSize is the largest JSON message ParseJSON accepts, in bytes.
	MaxMessageSize = 128 << 10
)

// Message is one ROAP message. The zero value is not valid; see Validate.
type Message struct {
	// Type is the messageType.
	Type MessageType
	// Seq numbers the exchange the message belongs to; valid values start at 1.
	Seq uint64
	// SDP is the offer or answer; required for Offer, Answer and OfferResponse.
	SDP string
	// TieBreaker decides glare (crossing offers): the higher value wins.
	TieBreaker uint32
	// ErrorType says why an Error message rejects the exchange.
	ErrorType ErrorType
	// ErrorCause is free text for people, on Error.
	ErrorCause string
	// RetryAfter is how many seconds the receiver should wait before retrying,
	// on Error. 0 means "not given".
	RetryAfter int
	// Headers are ROAP headers such as HeaderNoOkInTransaction.
	Headers []string
}

// HasHeader reports whether h is among m.Headers.
func (m Message) HasHeader(h string) bool {
	return slices.Contains(m.Headers, h)
}

// Validate checks that m is a well-formed ROAP message. The error names the
// offending field and wraps ErrInvalidMessage.
func (m Message) Validate() error {
	if !m.Type.Known() {
		return fmt.Errorf("%w: messageType: unknown %q", ErrInvalidMessage, clip(string(m.Type)))
	}
	if m.Seq == 0 {
		return fmt.Errorf("%w: seq: must be >= 1 on %s", ErrInvalidMessage, m.Type)
	}
	if m.Type.needsSDP() && m.SDP == "" {
		return fmt.Errorf("%w: sdp: required on %s", ErrInvalidMessage, m.Type)
	}
	if len(m.SDP) > MaxSDPSize {
		return fmt.Errorf("%w: sdp: %d bytes, limit is %d", ErrInvalidMessage, len(m.SDP), MaxSDPSize)
	}
	if m.Type == Error && !m.ErrorType.Known() {
		if m.ErrorType == "" {
			return fmt.Errorf("%w: errorType: required on ERROR", ErrInvalidMessage)
		}
		return fmt.Errorf("%w: errorType: unknown %q", ErrInvalidMessage, clip(string(m.ErrorType)))
	}
	if m.RetryAfter < 0 {
		return fmt.Errorf("%w: retryAfter: must be >= 0, got %d", ErrInvalidMessage, m.RetryAfter)
	}
	return nil
}

// clip shortens peer-supplied text before it is echoed in an error, so a
// hostile peer cannot make our replies large.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}

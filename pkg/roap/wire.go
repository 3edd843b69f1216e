package roap

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// wireVersion is the ROAP version Webex clients send.
const wireVersion = "2"

// wireOut is the JSON shape we send, field for field as Webex sends it.
type wireOut struct {
	MessageType MessageType `json:"messageType"`
	Seq         uint64      `json:"seq"`
	SDPs        []string    `json:"sdps,omitempty"`
	Version     string      `json:"version"`
	// A pointer so that a tie breaker of 0 is still sent on offers.
	TieBreaker *uint32   `json:"tieBreaker,omitempty"`
	ErrorType  ErrorType `json:"errorType,omitempty"`
	ErrorCause string    `json:"errorCause,omitempty"`
	RetryAfter int       `json:"retryAfter,omitempty"`
	Headers    []string  `json:"headers,omitempty"`
}

// wireIn is the JSON shape we accept: like wireOut, plus the older single
// "sdp" string. Unknown fields (and "version") are ignored so that newer
// clients still parse.
type wireIn struct {
	MessageType string   `json:"messageType"`
	Seq         uint64   `json:"seq"`
	SDP         *string  `json:"sdp"`
	SDPs        []string `json:"sdps"`
	TieBreaker  uint32   `json:"tieBreaker"`
	ErrorType   string   `json:"errorType"`
	ErrorCause  string   `json:"errorCause"`
	RetryAfter  int      `json:"retryAfter"`
	Headers     []string `json:"headers"`
}

// MarshalJSON encodes m in the Webex wire format:
//
//	{"messageType":"OFFER","seq":1,"sdps":["v=0..."],"version":"2","tieBreaker":4294967294}
//
// tieBreaker is always present on OFFER, OFFER_RESPONSE and OFFER_REQUEST and
// omitted elsewhere when 0. It does not validate m.
func (m Message) MarshalJSON() ([]byte, error) {
	w := wireOut{
		MessageType: m.Type,
		Seq:         m.Seq,
		Version:     wireVersion,
		ErrorType:   m.ErrorType,
		ErrorCause:  m.ErrorCause,
		RetryAfter:  m.RetryAfter,
		Headers:     m.Headers,
	}
	if m.SDP != "" {
		w.SDPs = []string{m.SDP}
	}
	switch {
	case m.Type == Offer || m.Type == OfferResponse || m.Type == OfferRequest, m.TieBreaker != 0:
		tb := m.TieBreaker
		w.TieBreaker = &tb
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// HTML escaping ('<' as \u003c) would only bloat causes and SDPs.
	// (json.Marshal re-escapes a Marshaler's output; call MarshalJSON
	// directly to avoid that.)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return nil, fmt.Errorf("roap: encode %s: %w", m.Type, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON decodes the Webex wire format. It accepts the SDP either as
// "sdps" (an array of at most one string) or as "sdp" (a string), rejects an
// unknown messageType, and ignores unknown fields. It does not check the rest
// of the message; ParseJSON does. On error *m is left unchanged; JSON null is a
// no-op.
func (m *Message) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	var w wireIn
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	t := MessageType(w.MessageType)
	if !t.Known() {
		if w.MessageType == "" {
			return fmt.Errorf("%w: messageType: missing", ErrInvalidMessage)
		}
		return fmt.Errorf("%w: messageType: unknown %q", ErrInvalidMessage, clip(w.MessageType))
	}
	if len(w.SDPs) > 1 {
		return fmt.Errorf("%w: sdps: %d entries, at most 1 is supported", ErrInvalidMessage, len(w.SDPs))
	}
	var sdp string
	if len(w.SDPs) == 1 {
		sdp = w.SDPs[0]
	}
	if w.SDP != nil {
		if len(w.SDPs) == 1 && *w.SDP != sdp {
			return fmt.Errorf("%w: sdp and sdps: both present and different", ErrInvalidMessage)
		}
		sdp = *w.SDP
	}
	*m = Message{
		Type:       t,
		Seq:        w.Seq,
		SDP:        sdp,
		TieBreaker: w.TieBreaker,
		ErrorType:  ErrorType(w.ErrorType),
		ErrorCause: w.ErrorCause,
		RetryAfter: w.RetryAfter,
		Headers:    w.Headers,
	}
	return nil
}

// ParseJSON decodes and validates one ROAP message. Input larger than
// MaxMessageSize is rejected before decoding. If the JSON decodes but the
// message fails Validate, the decoded message is returned together with the
// error, so that the caller can still hand it to Session.Receive, which knows
// whether the protocol wants an ERROR reply (it never answers an ERROR).
// All errors wrap ErrInvalidMessage.
func ParseJSON(b []byte) (Message, error) {
	if len(b) > MaxMessageSize {
		return Message{}, fmt.Errorf("%w: %d bytes, limit is %d", ErrInvalidMessage, len(b), MaxMessageSize)
	}
	var m Message
	// Called directly rather than through json.Unmarshal so that syntax
	// errors, too, come back wrapping ErrInvalidMessage.
	if err := m.UnmarshalJSON(b); err != nil {
		return Message{}, err
	}
	if err := m.Validate(); err != nil {
		return m, err
	}
	return m, nil
}

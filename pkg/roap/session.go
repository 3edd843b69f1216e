package roap

import "fmt"

// SessionOptions configure a Session.
type SessionOptions struct {
	// TieBreaker is this side's tie breaker, sent on every offer. A media node
	// must use a value below ClientTieBreaker (see NodeTieBreaker) so that
	// clients win glare; a session playing a client uses ClientTieBreaker.
	// The value is used as given.
	TieBreaker uint32
	// RetryAfter returns the seconds to put in the FAILED errors we send when
	// busy. Nil means a constant 1 (the client SDK uses random 0-10). Values
	// below 1 are raised to 1: on the wire a retryAfter of 0 cannot be told
	// apart from none, and a FAILED without one is final for the peer.
	RetryAfter func() int
}

// cachedAnswer is the ANSWER we sent for the last remote offer we answered,
// kept so a re-sent offer gets the identical answer.
type cachedAnswer struct {
	offerSDP string
	answer   Message // answer.Seq == 0: nothing cached
}

// Session is the ROAP state machine of one connection. It is not safe for
// concurrent use: the goroutine that owns the connection (the room's actor)
// owns the session.
type Session struct {
	tieBreaker uint32
	retryAfter func() int

	state State
	// seq is the highest seq accepted from the peer or used by us.
	seq uint64
	// pending is the seq of our outstanding OFFER, OFFER_RESPONSE or
	// OFFER_REQUEST; non-zero exactly in LocalOfferSent and OfferRequestSent.
	pending uint64
	// answerInFlight is set once the peer's ANSWER to pending was handed out
	// with ActionApplyAnswer, so duplicates are not handed out again.
	answerInFlight bool
	// applying and applyingSDP describe the remote offer being applied in
	// ApplyingRemoteOffer.
	applying    uint64
	applyingSDP string
	// answered caches our last ANSWER to a remote offer.
	answered cachedAnswer
	// completed is the seq of our last offer whose answer we handled.
	completed uint64
	// peerRequest is the seq of the last OFFER_REQUEST we accepted;
	// owesResponse says it still waits for our offer.
	peerRequest  uint64
	owesResponse bool
}

// NewSession returns an Idle session at seq 0.
func NewSession(o SessionOptions) *Session {
	return &Session{tieBreaker: o.TieBreaker, retryAfter: o.RetryAfter}
}

// State returns the session's state.
func (s *Session) State() State { return s.state }

// Seq returns the highest seq accepted from the peer or used by us. Offers we
// reject do not move it, so the peer may retry with the same seq.
func (s *Session) Seq() uint64 { return s.seq }

// PendingSeq returns the seq of our outstanding OFFER, OFFER_RESPONSE or
// OFFER_REQUEST, or 0 if there is none.
func (s *Session) PendingSeq() uint64 { return s.pending }

// StartOffer begins a local offer: it returns the OFFER to send, with seq one
// above Seq and our tie breaker, and moves to LocalOfferSent. It fails with
// ErrBusy outside Idle, and with ErrInvalidMessage for an empty or oversized
// SDP.
func (s *Session) StartOffer(sdp string) (Message, error) {
	if s.state != Idle {
		return Message{}, fmt.Errorf("%w: cannot start an offer in state %s", ErrBusy, s.state)
	}
	m := Message{Type: Offer, Seq: s.seq + 1, SDP: sdp, TieBreaker: s.tieBreaker}
	if err := m.Validate(); err != nil {
		return Message{}, err
	}
	s.sent(m.Seq, LocalOfferSent)
	return m, nil
}

// StartOfferResponse answers the peer's OFFER_REQUEST (after ActionMakeOffer):
// it returns the OFFER_RESPONSE to send, with the peer's seq, and moves to
// LocalOfferSent; the peer's ANSWER completes it as for StartOffer. It fails
// with ErrBusy outside Idle and with ErrNoOfferRequest when no request is
// waiting (anything accepted since the request supersedes it).
func (s *Session) StartOfferResponse(sdp string) (Message, error) {
	if s.state != Idle {
		return Message{}, fmt.Errorf("%w: cannot respond to an offer request in state %s", ErrBusy, s.state)
	}
	if !s.owesResponse {
		return Message{}, ErrNoOfferRequest
	}
	m := Message{Type: OfferResponse, Seq: s.peerRequest, SDP: sdp, TieBreaker: s.tieBreaker}
	if err := m.Validate(); err != nil {
		return Message{}, err
	}
	s.sent(m.Seq, LocalOfferSent)
	return m, nil
}

// StartOfferRequest asks the peer for an offer: it returns the OFFER_REQUEST
// to send, with seq one above Seq, and moves to OfferRequestSent. It fails
// with ErrBusy outside Idle.
func (s *Session) StartOfferRequest() (Message, error) {
	if s.state != Idle {
		return Message{}, fmt.Errorf("%w: cannot request an offer in state %s", ErrBusy, s.state)
	}
	m := Message{Type: OfferRequest, Seq: s.seq + 1, TieBreaker: s.tieBreaker}
	if err := m.Validate(); err != nil {
		return Message{}, err
	}
	s.sent(m.Seq, OfferRequestSent)
	return m, nil
}

// sent records that we sent an offer-like message with seq.
func (s *Session) sent(seq uint64, st State) {
	s.seq = max(s.seq, seq)
	s.pending = seq
	s.state = st
	s.answerInFlight = false
	s.owesResponse = false
}

// Answered reports that the remote offer with seq was applied and answered
// with answerSDP. It returns the ANSWER to send and caches it, so a re-sent
// offer with that seq gets the same answer; the session returns to Idle. A seq
// other than the offer being applied leaves the session alone (the returned
// message is then the caller's responsibility).
//
// An answerSDP that no ANSWER may carry (empty, or over MaxSDPSize) is
// treated as OfferFailed: the peer gets an ERROR FAILED saying why, rather
// than an ANSWER it would reject, and nothing invalid is cached.
func (s *Session) Answered(seq uint64, answerSDP string) Message {
	m := Message{Type: Answer, Seq: seq, SDP: answerSDP}
	if answerSDP == "" || len(answerSDP) > MaxSDPSize {
		return s.OfferFailed(seq, fmt.Sprintf("local answer unusable: %d bytes of SDP", len(answerSDP)))
	}
	if s.state == ApplyingRemoteOffer && seq == s.applying {
		s.answered = cachedAnswer{offerSDP: s.applyingSDP, answer: m}
		s.doneApplying()
	}
	return m
}

// OfferFailed reports that the remote offer with seq could not be applied. It
// returns the ERROR FAILED to send, carrying cause, and the session returns to
// Idle. A seq other than the offer being applied leaves the session alone.
func (s *Session) OfferFailed(seq uint64, cause string) Message {
	if s.state == ApplyingRemoteOffer && seq == s.applying {
		s.doneApplying()
	}
	return Message{Type: Error, Seq: seq, ErrorType: ErrorFailed, ErrorCause: cause}
}

// doneApplying ends ApplyingRemoteOffer.
func (s *Session) doneApplying() {
	s.state = Idle
	s.applying = 0
	s.applyingSDP = ""
}

// AnswerApplied reports that the peer's answer to our offer seq was applied;
// the session returns to Idle. No OK is needed (or produced); send one if the
// peer wants it. A seq other than PendingSeq is ignored.
func (s *Session) AnswerApplied(seq uint64) {
	s.finishLocal(seq)
}

// AnswerFailed reports that the peer's answer to our offer seq could not be
// applied. It returns the ERROR FAILED to send, carrying cause, and the session
// returns to Idle; the caller should roll back its local offer. A seq other
// than PendingSeq leaves the session alone.
func (s *Session) AnswerFailed(seq uint64, cause string) Message {
	s.finishLocal(seq)
	return Message{Type: Error, Seq: seq, ErrorType: ErrorFailed, ErrorCause: cause}
}

// finishLocal ends our offer seq after its answer was handled.
func (s *Session) finishLocal(seq uint64) {
	if s.state != LocalOfferSent || seq != s.pending {
		return
	}
	s.completed = seq
	s.idleLocal()
}

// CancelLocalOffer abandons our outstanding OFFER or OFFER_REQUEST (say, it
// timed out or was rolled back for another reason) and returns to Idle. A
// later ANSWER for it gets INVALID_STATE. It does nothing in other states.
func (s *Session) CancelLocalOffer() {
	if s.state == LocalOfferSent || s.state == OfferRequestSent {
		s.idleLocal()
	}
}

// idleLocal leaves LocalOfferSent or OfferRequestSent for Idle.
func (s *Session) idleLocal() {
	s.state = Idle
	s.pending = 0
	s.answerInFlight = false
}

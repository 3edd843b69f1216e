package roap

import (
	"fmt"
	"slices"
)

// Receive decides what to do with a message from the peer. It never panics
// and never replies to an ERROR (two sides trading ERRORs would never stop).
// A message that fails Validate gets an ERROR FAILED naming the problem and
// changes nothing.
func (s *Session) Receive(m Message) Decision {
	if m.Type == Error {
		return s.receiveError(m)
	}
	if err := m.Validate(); err != nil {
		return s.reject(m, ErrorFailed, err, false)
	}
	switch m.Type {
	case Offer:
		return s.receiveOffer(m)
	case OfferResponse:
		return s.receiveOfferResponse(m)
	case OfferRequest:
		return s.receiveOfferRequest(m)
	case Answer:
		return s.receiveAnswer(m)
	default: // OK; Validate admits nothing else
		return s.receiveOK(m)
	}
}

// receiveOffer handles OFFER.
func (s *Session) receiveOffer(m Message) Decision {
	if d, ok := s.reanswer(m); ok {
		return d
	}
	if s.state == ApplyingRemoteOffer || s.answerInFlight {
		return s.busyWith(m)
	}
	if m.Seq < s.seq || (m.Seq == s.seq && s.state == Idle) {
		return s.outOfOrder(m)
	}
	if s.state == Idle {
		s.beginApply(m)
		return Decision{Action: ActionApplyOffer, Seq: m.Seq, SDP: m.SDP}
	}
	// LocalOfferSent or OfferRequestSent with m.Seq >= our pending seq: the
	// offers crossed. Equal seqs are the common case (both sides picked
	// seq+1), so they are glare too, not OUT_OF_ORDER.
	return s.glare(m)
}

// glare resolves a remote offer crossing our outstanding one by tie breaker.
func (s *Session) glare(m Message) Decision {
	switch {
	case m.TieBreaker > s.tieBreaker:
		act := ActionRollbackApplyOffer
		if s.state == OfferRequestSent {
			// Nothing local to roll back: an OFFER_REQUEST sets no description.
			act = ActionApplyOffer
		}
		s.pending = 0
		s.beginApply(m)
		return Decision{Action: act, Seq: m.Seq, SDP: m.SDP, Reoffer: true}
	case m.TieBreaker < s.tieBreaker:
		return s.reject(m, ErrorConflict, fmt.Errorf("%w: %s seq %d (tieBreaker %d) crossed ours seq %d (tieBreaker %d)",
			ErrConflict, m.Type, m.Seq, m.TieBreaker, s.pending, s.tieBreaker), false)
	default:
		return s.reject(m, ErrorDoubleConflict, fmt.Errorf("%w: %s seq %d crossed ours seq %d, both tieBreaker %d",
			ErrDoubleConflict, m.Type, m.Seq, s.pending, s.tieBreaker), false)
	}
}

// receiveOfferResponse handles OFFER_RESPONSE.
func (s *Session) receiveOfferResponse(m Message) Decision {
	if d, ok := s.reanswer(m); ok {
		return d
	}
	if s.state == OfferRequestSent && m.Seq == s.pending {
		s.pending = 0
		s.beginApply(m)
		return Decision{Action: ActionApplyOffer, Seq: m.Seq, SDP: m.SDP}
	}
	if s.state == ApplyingRemoteOffer {
		return s.busyWith(m)
	}
	if m.Seq < s.seq {
		return s.outOfOrder(m)
	}
	return s.invalidState(m)
}

// busyWith handles an offer arriving while we are applying a remote offer or
// an answer. A retransmission of the offer being applied is dropped (its
// answer is on the way); an old seq is OUT_OF_ORDER; a newer offer gets FAILED
// with retryAfter, as the client SDK does.
func (s *Session) busyWith(m Message) Decision {
	if s.state == ApplyingRemoteOffer && m.Seq == s.applying && m.SDP == s.applyingSDP {
		return Decision{Action: ActionNone, Seq: m.Seq}
	}
	if m.Seq <= s.seq {
		return s.outOfOrder(m)
	}
	return s.busy(m)
}

// receiveOfferRequest handles OFFER_REQUEST.
func (s *Session) receiveOfferRequest(m Message) Decision {
	if m.Seq == s.peerRequest {
		// A retransmission of the request we already took.
		return Decision{Action: ActionNone, Seq: m.Seq}
	}
	// A seq equal to our outstanding one crossed it (busy, not stale); any
	// other seq at or below the current one is stale.
	if m.Seq < s.seq || (m.Seq == s.seq && s.pending == 0) {
		return s.outOfOrder(m)
	}
	if s.state != Idle {
		return s.busy(m)
	}
	s.seq = m.Seq
	s.peerRequest = m.Seq
	s.owesResponse = true
	return Decision{Action: ActionMakeOffer, Seq: m.Seq}
}

// receiveAnswer handles ANSWER.
func (s *Session) receiveAnswer(m Message) Decision {
	if m.Seq == s.completed {
		return Decision{Action: ActionNone, Seq: m.Seq}
	}
	if s.state == LocalOfferSent && m.Seq == s.pending {
		if s.answerInFlight {
			return Decision{Action: ActionNone, Seq: m.Seq}
		}
		s.answerInFlight = true
		return Decision{Action: ActionApplyAnswer, Seq: m.Seq, SDP: m.SDP}
	}
	if m.Seq < s.seq {
		return s.outOfOrder(m)
	}
	return s.invalidState(m)
}

// receiveOK handles OK, which is welcome but never required.
func (s *Session) receiveOK(m Message) Decision {
	if m.Seq <= s.seq {
		return Decision{Action: ActionNone, Seq: m.Seq}
	}
	return s.reject(m, ErrorOutOfOrder, fmt.Errorf("%w: OK seq %d is ahead of current seq %d",
		ErrOutOfOrder, m.Seq, s.seq), false)
}

// receiveError handles ERROR: only one for our outstanding offer or request
// matters; the rest are stale and dropped. An ERROR arriving after the
// peer's ANSWER was handed out is dropped too: the answer is being applied.
func (s *Session) receiveError(m Message) Decision {
	if m.Seq == 0 || m.Seq != s.pending || s.answerInFlight {
		return Decision{Action: ActionNone, Seq: m.Seq}
	}
	retry := retryable(m)
	s.idleLocal()
	return Decision{
		Action:     ActionOfferRejected,
		Seq:        m.Seq,
		Retry:      retry,
		RetryAfter: max(m.RetryAfter, 0),
		Err: fmt.Errorf("%w: ERROR %s for seq %d: %s",
			ErrRejected, clip(string(m.ErrorType)), m.Seq, clip(m.ErrorCause)),
	}
}

// retryableErrors are the error types after which an offer is retried; the
// client SDK retries after the same ones (plus CONFLICT, which it never
// receives because it always wins glare).
var retryableErrors = []ErrorType{ErrorDoubleConflict, ErrorConflict, ErrorInvalidState, ErrorOutOfOrder, ErrorRetry}

// retryable reports whether our offer should be retried after ERROR m. FAILED
// is final unless it carries a retryAfter, which is how a busy peer (the
// client SDK, or a Session) says "later"; unknown error types are final.
func retryable(m Message) bool {
	if m.ErrorType == ErrorFailed {
		return m.RetryAfter > 0
	}
	return slices.Contains(retryableErrors, m.ErrorType)
}

// reanswer re-sends the cached ANSWER when m re-sends the offer it answered.
// An offer with that seq but another SDP is not a retransmission.
func (s *Session) reanswer(m Message) (Decision, bool) {
	c := s.answered
	if c.answer.Seq == 0 || m.Seq != c.answer.Seq || m.SDP != c.offerSDP {
		return Decision{}, false
	}
	reply := c.answer
	reply.Headers = slices.Clone(reply.Headers)
	return Decision{Action: ActionReply, Reply: &reply, Seq: m.Seq}, true
}

// beginApply moves to ApplyingRemoteOffer for offer m and adopts its seq.
func (s *Session) beginApply(m Message) {
	s.seq = max(s.seq, m.Seq)
	s.state = ApplyingRemoteOffer
	s.applying = m.Seq
	s.applyingSDP = m.SDP
	s.answerInFlight = false
	s.owesResponse = false
}

// outOfOrder rejects m for its old seq.
func (s *Session) outOfOrder(m Message) Decision {
	return s.reject(m, ErrorOutOfOrder, fmt.Errorf("%w: %s seq %d, current seq %d",
		ErrOutOfOrder, m.Type, m.Seq, s.seq), false)
}

// invalidState rejects m for not fitting the state.
func (s *Session) invalidState(m Message) Decision {
	return s.reject(m, ErrorInvalidState, fmt.Errorf("%w: %s seq %d in state %s (pending seq %d)",
		ErrInvalidState, m.Type, m.Seq, s.state, s.pending), false)
}

// busy rejects m with FAILED and a retryAfter.
func (s *Session) busy(m Message) Decision {
	return s.reject(m, ErrorFailed, fmt.Errorf("%w: %s seq %d in state %s",
		ErrBusy, m.Type, m.Seq, s.state), true)
}

// reject builds an ActionReply with an ERROR for m's seq. The cause is the
// error text, so the peer's logs say what we saw.
func (s *Session) reject(m Message, t ErrorType, err error, withRetry bool) Decision {
	reply := Message{Type: Error, Seq: m.Seq, ErrorType: t, ErrorCause: err.Error()}
	if withRetry {
		reply.RetryAfter = s.retryAfterSeconds()
	}
	return Decision{Action: ActionReply, Reply: &reply, Seq: m.Seq, Err: err}
}

// retryAfterSeconds returns the retryAfter for a busy FAILED, at least 1.
func (s *Session) retryAfterSeconds() int {
	if s.retryAfter == nil {
		return 1
	}
	return max(s.retryAfter(), 1)
}

package roap

import "fmt"

// State is where a Session stands in the offer/answer cycle.
type State int

// Session states.
const (
	// Idle: no exchange in progress; either side may start one.
	Idle State = iota
	// ApplyingRemoteOffer: the caller is applying a remote offer and owes
	// Answered or OfferFailed.
	ApplyingRemoteOffer
	// LocalOfferSent: our OFFER (or OFFER_RESPONSE) is outstanding; it ends with
	// the peer's ANSWER (then AnswerApplied or AnswerFailed), its ERROR, a lost
	// glare, or CancelLocalOffer.
	LocalOfferSent
	// OfferRequestSent: our OFFER_REQUEST is outstanding; it ends with the
	// peer's OFFER_RESPONSE, its ERROR, a lost glare, or CancelLocalOffer.
	OfferRequestSent
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case Idle:
		return "Idle"
	case ApplyingRemoteOffer:
		return "ApplyingRemoteOffer"
	case LocalOfferSent:
		return "LocalOfferSent"
	case OfferRequestSent:
		return "OfferRequestSent"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Action tells the caller of Session.Receive what to do.
type Action int

// Actions a Decision can ask for.
const (
	// ActionNone: nothing to do and nothing to send (duplicate ANSWER, OK,
	// stale ERROR, retransmission of an offer being applied).
	ActionNone Action = iota
	// ActionReply: send Decision.Reply (an ERROR, or the cached ANSWER for a
	// re-sent offer) and change nothing else.
	ActionReply
	// ActionApplyOffer: apply Decision.SDP as the remote offer, then call
	// Session.Answered(Decision.Seq, answer) or Session.OfferFailed. If
	// Decision.Reoffer is set, our outstanding OFFER_REQUEST was superseded by
	// this offer (glare lost); request or offer again once Idle if still needed.
	ActionApplyOffer
	// ActionRollbackApplyOffer: glare lost while our OFFER was outstanding.
	// Roll back our local offer, then proceed as for ActionApplyOffer. Our
	// change was not negotiated (Decision.Reoffer is true): offer it again,
	// with a higher seq, once the session is Idle.
	ActionRollbackApplyOffer
	// ActionApplyAnswer: apply Decision.SDP as the answer to our outstanding
	// offer, then call Session.AnswerApplied(Decision.Seq) or
	// Session.AnswerFailed.
	ActionApplyAnswer
	// ActionOfferRejected: the peer sent ERROR for our outstanding OFFER (or
	// OFFER_REQUEST); the session is Idle again. Roll back the local offer. If
	// Decision.Retry, offer again (StartOffer picks seq+1) after
	// Decision.RetryAfter seconds, once the session is Idle; otherwise give up.
	ActionOfferRejected
	// ActionMakeOffer: the peer sent OFFER_REQUEST (Decision.Seq is its seq).
	// Create an offer and send it with Session.StartOfferResponse (the Webex
	// way: OFFER_RESPONSE with the peer's seq) or Session.StartOffer (a plain
	// OFFER with seq+1).
	ActionMakeOffer
)

// String returns the action's name.
func (a Action) String() string {
	switch a {
	case ActionNone:
		return "None"
	case ActionReply:
		return "Reply"
	case ActionApplyOffer:
		return "ApplyOffer"
	case ActionRollbackApplyOffer:
		return "RollbackApplyOffer"
	case ActionApplyAnswer:
		return "ApplyAnswer"
	case ActionOfferRejected:
		return "OfferRejected"
	case ActionMakeOffer:
		return "MakeOffer"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Decision is Session.Receive's verdict on one incoming message.
type Decision struct {
	// Action says what to do.
	Action Action
	// Reply is the message to send, set only for ActionReply.
	Reply *Message
	// Seq is the seq of the exchange the decision is about (normally the
	// incoming message's seq).
	Seq uint64
	// SDP is the remote offer or answer to apply.
	SDP string
	// Reoffer is set when a remote offer superseded our outstanding one: our
	// change still has to be negotiated once the session is Idle.
	Reoffer bool
	// Retry says, on ActionOfferRejected, whether to offer again.
	Retry bool
	// RetryAfter is how many seconds to wait before retrying (0: at once).
	RetryAfter int
	// Err explains an ERROR reply or a rejection for logs and metrics; it
	// wraps a sentinel such as ErrOutOfOrder, ErrInvalidState, ErrConflict,
	// ErrBusy, ErrInvalidMessage or ErrRejected. Nil otherwise.
	Err error
}

package roap

import (
	"strings"
	"testing"
)

func TestReceiveOK(t *testing.T) {
	ok := func(seq uint64) Message { return Message{Type: OK, Seq: seq} }
	runSessionCases(t, []sessionCase{
		{
			name: "OK for the current seq is accepted", setup: func(t testing.TB) *Session { return answeredRemote(t, node(), 5) },
			in: ok(5), action: ActionNone, seq: 5, state: Idle, seqAft: 5,
		},
		{
			name: "OK for an older seq is accepted", setup: func(t testing.TB) *Session { return answeredRemote(t, node(), 5) },
			in: ok(3), action: ActionNone, seq: 3, state: Idle, seqAft: 5,
		},
		{
			name: "OK while our offer is out changes nothing", setup: func(t testing.TB) *Session { return localSent(t, node(), 5) },
			in: ok(5), action: ActionNone, seq: 5, state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "OK ahead of the current seq is out of order", setup: func(t testing.TB) *Session { return answeredRemote(t, node(), 5) },
			in:     ok(6),
			action: ActionReply, seq: 6, reply: errReply(ErrorOutOfOrder), errIs: ErrOutOfOrder,
			state: Idle, seqAft: 5,
		},
	})
}

func TestReceiveError(t *testing.T) {
	e := func(seq uint64, et ErrorType, retryAfter int) Message {
		return Message{Type: Error, Seq: seq, ErrorType: et, ErrorCause: "because", RetryAfter: retryAfter}
	}
	sent5 := func(t testing.TB) *Session { return localSent(t, node(), 5) }
	var cases []sessionCase
	for _, et := range []ErrorType{ErrorDoubleConflict, ErrorConflict, ErrorInvalidState, ErrorOutOfOrder, ErrorRetry} {
		cases = append(cases, sessionCase{
			name: string(et) + " for our offer: roll back and retry", setup: sent5,
			in:     e(5, et, 0),
			action: ActionOfferRejected, seq: 5, retry: true, errIs: ErrRejected,
			state: Idle, seqAft: 5,
		})
	}
	cases = append(cases,
		sessionCase{
			name: "RETRY with retryAfter: retry later", setup: sent5,
			in:     e(5, ErrorRetry, 3),
			action: ActionOfferRejected, seq: 5, retry: true, retryAfter: 3, errIs: ErrRejected,
			state: Idle, seqAft: 5,
		},
		sessionCase{
			name: "FAILED for our offer: give up", setup: sent5,
			in:     e(5, ErrorFailed, 0),
			action: ActionOfferRejected, seq: 5, errIs: ErrRejected,
			state: Idle, seqAft: 5,
		},
		sessionCase{
			name: "FAILED with retryAfter (peer busy): retry later", setup: sent5,
			in:     e(5, ErrorFailed, 4),
			action: ActionOfferRejected, seq: 5, retry: true, retryAfter: 4, errIs: ErrRejected,
			state: Idle, seqAft: 5,
		},
		sessionCase{
			name: "unknown error type for our offer: give up", setup: sent5,
			in:     e(5, "NOMATCH", 0),
			action: ActionOfferRejected, seq: 5, errIs: ErrRejected,
			state: Idle, seqAft: 5,
		},
		sessionCase{
			name: "error for our offer request: retry", setup: func(t testing.TB) *Session { return requestSent(t, node(), 5) },
			in:     e(5, ErrorOutOfOrder, 0),
			action: ActionOfferRejected, seq: 5, retry: true, errIs: ErrRejected,
			state: Idle, seqAft: 5,
		},
		sessionCase{
			name: "error with another seq is ignored", setup: sent5,
			in:     e(4, ErrorConflict, 0),
			action: ActionNone, seq: 4,
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		sessionCase{
			name: "error in Idle is ignored", setup: func(t testing.TB) *Session { return answeredRemote(t, node(), 5) },
			in:     e(5, ErrorFailed, 0),
			action: ActionNone, seq: 5,
			state: Idle, seqAft: 5,
		},
		sessionCase{
			name: "error after the answer was handed out is ignored", setup: func(t testing.TB) *Session { return answerInFlight(t, node(), 5) },
			in:     e(5, ErrorFailed, 0),
			action: ActionNone, seq: 5,
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		sessionCase{
			name: "invalid error (seq 0) is ignored, never answered", setup: sent5,
			in:     e(0, ErrorFailed, 0),
			action: ActionNone,
			state:  LocalOfferSent, seqAft: 5, pendAft: 5,
		},
	)
	runSessionCases(t, cases)
}

func TestReceiveOfferResponse(t *testing.T) {
	resp := func(seq uint64, sdp string) Message {
		return Message{Type: OfferResponse, Seq: seq, SDP: sdp, TieBreaker: ClientTieBreaker}
	}
	runSessionCases(t, []sessionCase{
		{
			name: "response to our request is applied with its seq", setup: func(t testing.TB) *Session { return requestSent(t, node(), 5) },
			in:     resp(5, "v=0 r"),
			action: ActionApplyOffer, seq: 5, sdp: "v=0 r",
			state: ApplyingRemoteOffer, seqAft: 5,
		},
		{
			name: "response with another seq is invalid state", setup: func(t testing.TB) *Session { return requestSent(t, node(), 5) },
			in:     resp(6, "v=0 r"),
			action: ActionReply, seq: 6, reply: errReply(ErrorInvalidState), errIs: ErrInvalidState,
			state: OfferRequestSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "response with lower seq is out of order", setup: func(t testing.TB) *Session { return requestSent(t, node(), 5) },
			in:     resp(3, "v=0 r"),
			action: ActionReply, seq: 3, reply: errReply(ErrorOutOfOrder), errIs: ErrOutOfOrder,
			state: OfferRequestSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "response without a request is invalid state", setup: func(t testing.TB) *Session { return answeredRemote(t, node(), 5) },
			in:     resp(6, "v=0 r"),
			action: ActionReply, seq: 6, reply: errReply(ErrorInvalidState), errIs: ErrInvalidState,
			state: Idle, seqAft: 5,
		},
		{
			name: "response while our offer is out is invalid state", setup: func(t testing.TB) *Session { return localSent(t, node(), 5) },
			in:     resp(5, "v=0 r"),
			action: ActionReply, seq: 5, reply: errReply(ErrorInvalidState), errIs: ErrInvalidState,
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "new response while applying gets FAILED with retryAfter", setup: func(t testing.TB) *Session { return applying(t, node(), 5) },
			in:     resp(6, "v=0 r"),
			action: ActionReply, seq: 6, reply: busyReply(), errIs: ErrBusy,
			state: ApplyingRemoteOffer, seqAft: 5,
		},
		{
			name: "re-sent response gets the cached answer", setup: func(t testing.TB) *Session {
				s := requestSent(t, node(), 5)
				must(t, s.Receive(resp(5, "v=0 r")), ActionApplyOffer)
				s.Answered(5, "v=0 answer")
				return s
			},
			in:     resp(5, "v=0 r"),
			action: ActionReply, seq: 5, reply: &wantReply{typ: Answer, sdp: "v=0 answer"},
			state: Idle, seqAft: 5,
		},
	})
}

func TestReceiveOfferRequest(t *testing.T) {
	req := func(seq uint64) Message { return Message{Type: OfferRequest, Seq: seq, TieBreaker: ClientTieBreaker} }
	runSessionCases(t, []sessionCase{
		{
			name: "request in Idle asks for an offer and adopts the seq", setup: func(t testing.TB) *Session { return answeredRemote(t, node(), 5) },
			in:     req(6),
			action: ActionMakeOffer, seq: 6,
			state: Idle, seqAft: 6,
		},
		{
			name: "first request on a fresh session", setup: func(testing.TB) *Session { return node() },
			in:     req(1),
			action: ActionMakeOffer, seq: 1,
			state: Idle, seqAft: 1,
		},
		{
			name: "request with the current seq in Idle is out of order", setup: func(t testing.TB) *Session { return answeredRemote(t, node(), 5) },
			in:     req(5),
			action: ActionReply, seq: 5, reply: errReply(ErrorOutOfOrder), errIs: ErrOutOfOrder,
			state: Idle, seqAft: 5,
		},
		{
			name: "request with lower seq is out of order", setup: func(t testing.TB) *Session { return localSent(t, node(), 5) },
			in:     req(4),
			action: ActionReply, seq: 4, reply: errReply(ErrorOutOfOrder), errIs: ErrOutOfOrder,
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "request while applying gets FAILED with retryAfter", setup: func(t testing.TB) *Session { return applying(t, node(), 5) },
			in:     req(6),
			action: ActionReply, seq: 6, reply: busyReply(), errIs: ErrBusy,
			state: ApplyingRemoteOffer, seqAft: 5,
		},
		{
			name: "request while our offer is out gets FAILED with retryAfter", setup: func(t testing.TB) *Session { return localSent(t, node(), 5) },
			in:     req(6),
			action: ActionReply, seq: 6, reply: busyReply(), errIs: ErrBusy,
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "request crossing our offer at equal seq gets FAILED with retryAfter", setup: func(t testing.TB) *Session { return localSent(t, node(), 5) },
			in:     req(5),
			action: ActionReply, seq: 5, reply: busyReply(), errIs: ErrBusy,
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "retransmitted request is ignored", setup: func(t testing.TB) *Session {
				s := answeredRemote(t, node(), 5)
				must(t, s.Receive(req(6)), ActionMakeOffer)
				return s
			},
			in:     req(6),
			action: ActionNone, seq: 6,
			state: Idle, seqAft: 6,
		},
	})
}

func TestReceiveInvalid(t *testing.T) {
	sent5 := func(t testing.TB) *Session { return localSent(t, node(), 5) }
	runSessionCases(t, []sessionCase{
		{
			name: "offer without sdp", setup: sent5,
			in:     Message{Type: Offer, Seq: 6, TieBreaker: ClientTieBreaker},
			action: ActionReply, seq: 6, reply: errReply(ErrorFailed), errIs: ErrInvalidMessage, cause: "sdp",
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "seq 0", setup: sent5,
			in:     offerMsg(0, "v=0 x", ClientTieBreaker),
			action: ActionReply, reply: errReply(ErrorFailed), errIs: ErrInvalidMessage, cause: "seq",
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "unknown type", setup: sent5,
			in:     Message{Type: "TURN_DISCOVERY_REQUEST", Seq: 6},
			action: ActionReply, seq: 6, reply: errReply(ErrorFailed), errIs: ErrInvalidMessage, cause: "messageType",
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "oversized sdp", setup: sent5,
			in:     offerMsg(6, strings.Repeat("a", MaxSDPSize+1), ClientTieBreaker),
			action: ActionReply, seq: 6, reply: errReply(ErrorFailed), errIs: ErrInvalidMessage, cause: "sdp",
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "answer without sdp", setup: sent5,
			in:     Message{Type: Answer, Seq: 5},
			action: ActionReply, seq: 5, reply: errReply(ErrorFailed), errIs: ErrInvalidMessage, cause: "sdp",
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
	})
}

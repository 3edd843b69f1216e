package roap

import (
	"errors"
	"strings"
	"testing"
)

const nodeTB uint32 = 1000

// Session builders. Each returns a session in a known state, reached through
// the public API only.

func node() *Session {
	return NewSession(SessionOptions{TieBreaker: nodeTB, RetryAfter: func() int { return 7 }})
}

func client() *Session {
	return NewSession(SessionOptions{TieBreaker: ClientTieBreaker, RetryAfter: func() int { return 7 }})
}

func must(t testing.TB, d Decision, want Action) Decision {
	t.Helper()
	if d.Action != want {
		t.Fatalf("setup: got %v (err %v), want %v", d.Action, d.Err, want)
	}
	return d
}

func offerMsg(seq uint64, sdp string, tb uint32) Message {
	return Message{Type: Offer, Seq: seq, SDP: sdp, TieBreaker: tb}
}

func remoteSDP(n uint64) string { return "v=0 offer-" + string(rune('0'+n)) }

// answeredRemote: Idle at seq n after answering the peer's offer n.
func answeredRemote(t testing.TB, s *Session, n uint64) *Session {
	must(t, s.Receive(offerMsg(n, remoteSDP(n), ClientTieBreaker)), ActionApplyOffer)
	s.Answered(n, "v=0 answer")
	return s
}

// localSent: our OFFER n outstanding (the peer's offer n-1 answered first).
func localSent(t testing.TB, s *Session, n uint64) *Session {
	if n > 1 {
		answeredRemote(t, s, n-1)
	}
	if _, err := s.StartOffer("v=0 local"); err != nil {
		t.Fatal(err)
	}
	return s
}

// answerInFlight: the peer's ANSWER to our offer n handed out, not yet applied.
func answerInFlight(t testing.TB, s *Session, n uint64) *Session {
	localSent(t, s, n)
	must(t, s.Receive(Message{Type: Answer, Seq: n, SDP: "v=0 their answer"}), ActionApplyAnswer)
	return s
}

// completedLocal: Idle after our offer n was answered and applied.
func completedLocal(t testing.TB, s *Session, n uint64) *Session {
	answerInFlight(t, s, n)
	s.AnswerApplied(n)
	return s
}

// applying: the peer's offer n being applied (offer n-1 of ours completed first).
func applying(t testing.TB, s *Session, n uint64) *Session {
	must(t, s.Receive(offerMsg(n, remoteSDP(n), ClientTieBreaker)), ActionApplyOffer)
	return s
}

// requestSent: our OFFER_REQUEST n outstanding.
func requestSent(t testing.TB, s *Session, n uint64) *Session {
	if n > 1 {
		answeredRemote(t, s, n-1)
	}
	if _, err := s.StartOfferRequest(); err != nil {
		t.Fatal(err)
	}
	return s
}

type wantReply struct {
	typ        MessageType
	errType    ErrorType
	retryAfter int
	sdp        string
}

type sessionCase struct {
	name  string
	setup func(t testing.TB) *Session
	in    Message

	action     Action
	seq        uint64 // Decision.Seq
	sdp        string
	reoffer    bool
	retry      bool
	retryAfter int
	reply      *wantReply // nil: no reply expected
	errIs      error
	cause      string // substring of the reply's errorCause

	state   State
	seqAft  uint64
	pendAft uint64
}

func runSessionCases(t *testing.T, cases []sessionCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.setup(t)
			d := s.Receive(c.in)
			if d.Action != c.action {
				t.Fatalf("action = %v, want %v (err %v)", d.Action, c.action, d.Err)
			}
			if d.Seq != c.seq || d.SDP != c.sdp || d.Reoffer != c.reoffer || d.Retry != c.retry || d.RetryAfter != c.retryAfter {
				t.Errorf("decision = %+v, want seq %d sdp %q reoffer %v retry %v retryAfter %d",
					d, c.seq, c.sdp, c.reoffer, c.retry, c.retryAfter)
			}
			switch {
			case c.reply == nil && d.Reply != nil:
				t.Errorf("unexpected reply %+v", *d.Reply)
			case c.reply != nil && d.Reply == nil:
				t.Errorf("no reply, want %+v", *c.reply)
			case c.reply != nil:
				r := d.Reply
				if r.Type != c.reply.typ || r.Seq != c.in.Seq || r.ErrorType != c.reply.errType ||
					r.RetryAfter != c.reply.retryAfter || r.SDP != c.reply.sdp {
					t.Errorf("reply = %+v, want %+v with seq %d", *r, *c.reply, c.in.Seq)
				}
				if !strings.Contains(r.ErrorCause, c.cause) {
					t.Errorf("errorCause %q does not contain %q", r.ErrorCause, c.cause)
				}
				if r.Type == Error && d.Err == nil {
					t.Error("ERROR reply without Decision.Err")
				}
			}
			if c.errIs == nil && d.Err != nil && d.Action != ActionOfferRejected {
				t.Errorf("unexpected err %v", d.Err)
			}
			if c.errIs != nil && !errors.Is(d.Err, c.errIs) {
				t.Errorf("err = %v, want %v", d.Err, c.errIs)
			}
			if s.State() != c.state || s.Seq() != c.seqAft || s.PendingSeq() != c.pendAft {
				t.Errorf("after: state %v seq %d pending %d, want %v %d %d",
					s.State(), s.Seq(), s.PendingSeq(), c.state, c.seqAft, c.pendAft)
			}
		})
	}
}

func errReply(t ErrorType) *wantReply { return &wantReply{typ: Error, errType: t} }

func busyReply() *wantReply { return &wantReply{typ: Error, errType: ErrorFailed, retryAfter: 7} }

func TestReceiveOffer(t *testing.T) {
	runSessionCases(t, []sessionCase{
		{
			name: "first client offer in Idle is applied", setup: func(testing.TB) *Session { return node() },
			in:     offerMsg(1, "v=0 a", ClientTieBreaker),
			action: ActionApplyOffer, seq: 1, sdp: "v=0 a",
			state: ApplyingRemoteOffer, seqAft: 1,
		},
		{
			name: "higher seq in Idle is applied and adopted", setup: func(t testing.TB) *Session { return answeredRemote(t, node(), 5) },
			in:     offerMsg(7, "v=0 b", ClientTieBreaker),
			action: ActionApplyOffer, seq: 7, sdp: "v=0 b",
			state: ApplyingRemoteOffer, seqAft: 7,
		},
		{
			name: "lower seq is out of order", setup: func(t testing.TB) *Session { return answeredRemote(t, node(), 5) },
			in:     offerMsg(3, "v=0 b", ClientTieBreaker),
			action: ActionReply, seq: 3, reply: errReply(ErrorOutOfOrder), errIs: ErrOutOfOrder,
			state: Idle, seqAft: 5,
		},
		{
			name: "re-sent offer gets the cached answer", setup: func(t testing.TB) *Session { return answeredRemote(t, node(), 5) },
			in:     offerMsg(5, remoteSDP(5), ClientTieBreaker),
			action: ActionReply, seq: 5, reply: &wantReply{typ: Answer, sdp: "v=0 answer"},
			state: Idle, seqAft: 5,
		},
		{
			name: "same seq with another sdp is out of order", setup: func(t testing.TB) *Session { return answeredRemote(t, node(), 5) },
			in:     offerMsg(5, "v=0 other", ClientTieBreaker),
			action: ActionReply, seq: 5, reply: errReply(ErrorOutOfOrder), errIs: ErrOutOfOrder,
			state: Idle, seqAft: 5,
		},
		{
			name: "seq of our own completed offer is out of order", setup: func(t testing.TB) *Session { return completedLocal(t, node(), 5) },
			in:     offerMsg(5, "v=0 x", ClientTieBreaker),
			action: ActionReply, seq: 5, reply: errReply(ErrorOutOfOrder), errIs: ErrOutOfOrder,
			state: Idle, seqAft: 5,
		},
		{
			name: "re-sent older offer is re-answered while our offer is out", setup: func(t testing.TB) *Session { return localSent(t, node(), 5) },
			in:     offerMsg(4, remoteSDP(4), ClientTieBreaker),
			action: ActionReply, seq: 4, reply: &wantReply{typ: Answer, sdp: "v=0 answer"},
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "older offer below our outstanding one is out of order", setup: func(t testing.TB) *Session { return localSent(t, node(), 5) },
			in:     offerMsg(3, "v=0 x", ClientTieBreaker),
			action: ActionReply, seq: 3, reply: errReply(ErrorOutOfOrder), errIs: ErrOutOfOrder,
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "new offer while applying gets FAILED with retryAfter", setup: func(t testing.TB) *Session { return applying(t, node(), 5) },
			in:     offerMsg(6, "v=0 x", ClientTieBreaker),
			action: ActionReply, seq: 6, reply: busyReply(), errIs: ErrBusy,
			state: ApplyingRemoteOffer, seqAft: 5,
		},
		{
			name: "retransmission of the offer being applied is dropped", setup: func(t testing.TB) *Session { return applying(t, node(), 5) },
			in:     offerMsg(5, remoteSDP(5), ClientTieBreaker),
			action: ActionNone, seq: 5,
			state: ApplyingRemoteOffer, seqAft: 5,
		},
		{
			name: "other offer with the seq being applied is out of order", setup: func(t testing.TB) *Session { return applying(t, node(), 5) },
			in:     offerMsg(5, "v=0 x", ClientTieBreaker),
			action: ActionReply, seq: 5, reply: errReply(ErrorOutOfOrder), errIs: ErrOutOfOrder,
			state: ApplyingRemoteOffer, seqAft: 5,
		},
		{
			name: "old offer while applying is out of order", setup: func(t testing.TB) *Session { return applying(t, node(), 5) },
			in:     offerMsg(4, "v=0 x", ClientTieBreaker),
			action: ActionReply, seq: 4, reply: errReply(ErrorOutOfOrder), errIs: ErrOutOfOrder,
			state: ApplyingRemoteOffer, seqAft: 5,
		},
		{
			name: "offer while our answer is being applied gets FAILED with retryAfter", setup: func(t testing.TB) *Session { return answerInFlight(t, node(), 5) },
			in:     offerMsg(6, "v=0 x", ClientTieBreaker),
			action: ActionReply, seq: 6, reply: busyReply(), errIs: ErrBusy,
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
	})
}

func TestReceiveGlare(t *testing.T) {
	runSessionCases(t, []sessionCase{
		{
			name: "client beats node: roll back, apply, re-offer later", setup: func(t testing.TB) *Session { return localSent(t, node(), 5) },
			in:     offerMsg(6, "v=0 c", ClientTieBreaker),
			action: ActionRollbackApplyOffer, seq: 6, sdp: "v=0 c", reoffer: true,
			state: ApplyingRemoteOffer, seqAft: 6,
		},
		{
			name: "simultaneous offers with equal seq are glare", setup: func(t testing.TB) *Session { return localSent(t, node(), 5) },
			in:     offerMsg(5, "v=0 c", ClientTieBreaker),
			action: ActionRollbackApplyOffer, seq: 5, sdp: "v=0 c", reoffer: true,
			state: ApplyingRemoteOffer, seqAft: 5,
		},
		{
			name: "client side rejects the node's crossing offer with CONFLICT", setup: func(t testing.TB) *Session { return localSent(t, client(), 5) },
			in:     offerMsg(6, "v=0 n", nodeTB),
			action: ActionReply, seq: 6, reply: errReply(ErrorConflict), errIs: ErrConflict, cause: "tieBreaker",
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "lower remote tie breaker at equal seq gets CONFLICT", setup: func(t testing.TB) *Session { return localSent(t, client(), 5) },
			in:     offerMsg(5, "v=0 n", 0),
			action: ActionReply, seq: 5, reply: errReply(ErrorConflict), errIs: ErrConflict,
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "equal tie breakers get DOUBLECONFLICT", setup: func(t testing.TB) *Session { return localSent(t, client(), 5) },
			in:     offerMsg(6, "v=0 c2", ClientTieBreaker),
			action: ActionReply, seq: 6, reply: errReply(ErrorDoubleConflict), errIs: ErrDoubleConflict,
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "offer beats our offer request: apply, nothing to roll back", setup: func(t testing.TB) *Session { return requestSent(t, node(), 5) },
			in:     offerMsg(6, "v=0 c", ClientTieBreaker),
			action: ActionApplyOffer, seq: 6, sdp: "v=0 c", reoffer: true,
			state: ApplyingRemoteOffer, seqAft: 6,
		},
		{
			name: "offer loses to our offer request: CONFLICT", setup: func(t testing.TB) *Session { return requestSent(t, client(), 5) },
			in:     offerMsg(6, "v=0 n", nodeTB),
			action: ActionReply, seq: 6, reply: errReply(ErrorConflict), errIs: ErrConflict,
			state: OfferRequestSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "offer ties our offer request: DOUBLECONFLICT", setup: func(t testing.TB) *Session { return requestSent(t, node(), 5) },
			in:     offerMsg(6, "v=0 n", nodeTB),
			action: ActionReply, seq: 6, reply: errReply(ErrorDoubleConflict), errIs: ErrDoubleConflict,
			state: OfferRequestSent, seqAft: 5, pendAft: 5,
		},
	})
}

func TestReceiveAnswer(t *testing.T) {
	ans := func(seq uint64) Message { return Message{Type: Answer, Seq: seq, SDP: "v=0 their answer"} }
	runSessionCases(t, []sessionCase{
		{
			name: "answer to our outstanding offer is applied", setup: func(t testing.TB) *Session { return localSent(t, node(), 5) },
			in:     ans(5),
			action: ActionApplyAnswer, seq: 5, sdp: "v=0 their answer",
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "duplicate answer while the first is applied is ignored", setup: func(t testing.TB) *Session { return answerInFlight(t, node(), 5) },
			in:     ans(5),
			action: ActionNone, seq: 5,
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "duplicate answer for a completed offer is ignored", setup: func(t testing.TB) *Session { return completedLocal(t, node(), 5) },
			in:     ans(5),
			action: ActionNone, seq: 5,
			state: Idle, seqAft: 5,
		},
		{
			name: "answer with lower seq is out of order", setup: func(t testing.TB) *Session { return localSent(t, node(), 5) },
			in:     ans(3),
			action: ActionReply, seq: 3, reply: errReply(ErrorOutOfOrder), errIs: ErrOutOfOrder,
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "answer with another seq is invalid state", setup: func(t testing.TB) *Session { return localSent(t, node(), 5) },
			in:     ans(6),
			action: ActionReply, seq: 6, reply: errReply(ErrorInvalidState), errIs: ErrInvalidState,
			state: LocalOfferSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "answer with nothing outstanding is invalid state", setup: func(testing.TB) *Session { return node() },
			in:     ans(1),
			action: ActionReply, seq: 1, reply: errReply(ErrorInvalidState), errIs: ErrInvalidState,
			state: Idle,
		},
		{
			name: "answer with the seq of the peer's own offer is invalid state", setup: func(t testing.TB) *Session { return answeredRemote(t, node(), 5) },
			in:     ans(5),
			action: ActionReply, seq: 5, reply: errReply(ErrorInvalidState), errIs: ErrInvalidState,
			state: Idle, seqAft: 5,
		},
		{
			name: "answer to an offer request is invalid state", setup: func(t testing.TB) *Session { return requestSent(t, node(), 5) },
			in:     ans(5),
			action: ActionReply, seq: 5, reply: errReply(ErrorInvalidState), errIs: ErrInvalidState,
			state: OfferRequestSent, seqAft: 5, pendAft: 5,
		},
		{
			name: "answer to a cancelled offer is invalid state", setup: func(t testing.TB) *Session {
				s := localSent(t, node(), 5)
				s.CancelLocalOffer()
				return s
			},
			in:     ans(5),
			action: ActionReply, seq: 5, reply: errReply(ErrorInvalidState), errIs: ErrInvalidState,
			state: Idle, seqAft: 5,
		},
	})
}

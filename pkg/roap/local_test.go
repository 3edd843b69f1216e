package roap

import (
	"errors"
	"testing"
)

func TestStartOffer(t *testing.T) {
	s := node()
	m, err := s.StartOffer("v=0 first")
	if err != nil {
		t.Fatal(err)
	}
	want := Message{Type: Offer, Seq: 1, SDP: "v=0 first", TieBreaker: nodeTB}
	if m.Type != want.Type || m.Seq != want.Seq || m.SDP != want.SDP || m.TieBreaker != want.TieBreaker {
		t.Fatalf("StartOffer = %+v, want %+v", m, want)
	}
	if s.State() != LocalOfferSent || s.PendingSeq() != 1 || s.Seq() != 1 {
		t.Fatalf("after StartOffer: %v pending %d seq %d", s.State(), s.PendingSeq(), s.Seq())
	}
}

func TestStartOfferRejectsBadSDP(t *testing.T) {
	s := node()
	for _, sdp := range []string{"", string(make([]byte, MaxSDPSize+1))} {
		if _, err := s.StartOffer(sdp); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("StartOffer(%d bytes) err = %v, want ErrInvalidMessage", len(sdp), err)
		}
	}
	if s.State() != Idle || s.Seq() != 0 {
		t.Fatalf("failed StartOffer changed the session: %v seq %d", s.State(), s.Seq())
	}
}

func TestLocalCallsOutsideIdleAreBusy(t *testing.T) {
	for name, setup := range map[string]func(testing.TB) *Session{
		"ApplyingRemoteOffer": func(t testing.TB) *Session { return applying(t, node(), 1) },
		"LocalOfferSent":      func(t testing.TB) *Session { return localSent(t, node(), 1) },
		"OfferRequestSent":    func(t testing.TB) *Session { return requestSent(t, node(), 1) },
	} {
		t.Run(name, func(t *testing.T) {
			s := setup(t)
			before := [3]uint64{uint64(s.State()), s.Seq(), s.PendingSeq()}
			if _, err := s.StartOffer("v=0 x"); !errors.Is(err, ErrBusy) {
				t.Errorf("StartOffer err = %v, want ErrBusy", err)
			}
			if _, err := s.StartOfferRequest(); !errors.Is(err, ErrBusy) {
				t.Errorf("StartOfferRequest err = %v, want ErrBusy", err)
			}
			if _, err := s.StartOfferResponse("v=0 x"); !errors.Is(err, ErrBusy) {
				t.Errorf("StartOfferResponse err = %v, want ErrBusy", err)
			}
			if after := [3]uint64{uint64(s.State()), s.Seq(), s.PendingSeq()}; after != before {
				t.Errorf("busy calls changed the session: %v -> %v", before, after)
			}
		})
	}
}

func TestStartOfferRequest(t *testing.T) {
	s := answeredRemote(t, node(), 3)
	m, err := s.StartOfferRequest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != OfferRequest || m.Seq != 4 || m.TieBreaker != nodeTB || m.SDP != "" {
		t.Fatalf("StartOfferRequest = %+v", m)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.State() != OfferRequestSent || s.PendingSeq() != 4 {
		t.Fatalf("after: %v pending %d", s.State(), s.PendingSeq())
	}
}

func TestMakeOfferThenStartOfferUsesNextSeq(t *testing.T) {
	s := answeredRemote(t, node(), 5)
	d := must(t, s.Receive(Message{Type: OfferRequest, Seq: 6}), ActionMakeOffer)
	if d.Seq != 6 {
		t.Fatalf("MakeOffer seq %d", d.Seq)
	}
	m, err := s.StartOffer("v=0 mine")
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != Offer || m.Seq != 7 {
		t.Fatalf("StartOffer after OFFER_REQUEST 6 = %s seq %d, want OFFER 7", m.Type, m.Seq)
	}
	if _, err := s.StartOfferResponse("v=0 mine"); !errors.Is(err, ErrBusy) {
		t.Fatalf("StartOfferResponse after StartOffer err = %v", err)
	}
}

func TestStartOfferResponse(t *testing.T) {
	s := answeredRemote(t, client(), 5)
	must(t, s.Receive(Message{Type: OfferRequest, Seq: 6, TieBreaker: nodeTB}), ActionMakeOffer)
	m, err := s.StartOfferResponse("v=0 response")
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != OfferResponse || m.Seq != 6 || m.SDP != "v=0 response" || m.TieBreaker != ClientTieBreaker {
		t.Fatalf("StartOfferResponse = %+v", m)
	}
	if s.State() != LocalOfferSent || s.PendingSeq() != 6 || s.Seq() != 6 {
		t.Fatalf("after: %v pending %d seq %d", s.State(), s.PendingSeq(), s.Seq())
	}
	d := must(t, s.Receive(Message{Type: Answer, Seq: 6, SDP: "v=0 a"}), ActionApplyAnswer)
	s.AnswerApplied(d.Seq)
	if s.State() != Idle || s.PendingSeq() != 0 {
		t.Fatalf("after answer: %v pending %d", s.State(), s.PendingSeq())
	}
	if _, err := s.StartOfferResponse("v=0 again"); !errors.Is(err, ErrNoOfferRequest) {
		t.Fatalf("second StartOfferResponse err = %v, want ErrNoOfferRequest", err)
	}
}

func TestStartOfferResponseWithoutRequest(t *testing.T) {
	s := node()
	if _, err := s.StartOfferResponse("v=0 x"); !errors.Is(err, ErrNoOfferRequest) {
		t.Fatalf("err = %v, want ErrNoOfferRequest", err)
	}
	// A request superseded by the peer's own offer is no longer owed.
	must(t, s.Receive(Message{Type: OfferRequest, Seq: 1}), ActionMakeOffer)
	must(t, s.Receive(offerMsg(2, "v=0 o", ClientTieBreaker)), ActionApplyOffer)
	s.Answered(2, "v=0 a")
	if _, err := s.StartOfferResponse("v=0 x"); !errors.Is(err, ErrNoOfferRequest) {
		t.Fatalf("err = %v, want ErrNoOfferRequest", err)
	}
}

func TestAnsweredCachesAndIdles(t *testing.T) {
	s := applying(t, node(), 1)
	m := s.Answered(1, "v=0 ans")
	if m.Type != Answer || m.Seq != 1 || m.SDP != "v=0 ans" {
		t.Fatalf("Answered = %+v", m)
	}
	if s.State() != Idle || s.Seq() != 1 {
		t.Fatalf("after: %v seq %d", s.State(), s.Seq())
	}
	d := must(t, s.Receive(offerMsg(1, remoteSDP(1), ClientTieBreaker)), ActionReply)
	if d.Reply.Type != Answer || d.Reply.Seq != 1 || d.Reply.SDP != "v=0 ans" {
		t.Fatalf("re-answer = %+v", *d.Reply)
	}
	// The cached answer is not shared with the caller.
	d.Reply.SDP = "mutated"
	d = must(t, s.Receive(offerMsg(1, remoteSDP(1), ClientTieBreaker)), ActionReply)
	if d.Reply.SDP != "v=0 ans" {
		t.Fatalf("cached answer was mutated through a reply: %q", d.Reply.SDP)
	}
}

func TestAnsweredWithUnusableSDPFails(t *testing.T) {
	s := applying(t, node(), 1)
	m := s.Answered(1, "")
	if m.Type != Error || m.ErrorType != ErrorFailed || m.Seq != 1 {
		t.Fatalf("Answered with empty SDP = %+v", m)
	}
	if s.State() != Idle {
		t.Fatalf("state %v", s.State())
	}
	// Nothing was cached: a re-send is out of order, not re-answered.
	d := must(t, s.Receive(offerMsg(1, remoteSDP(1), ClientTieBreaker)), ActionReply)
	if d.Reply.Type != Error || d.Reply.ErrorType != ErrorOutOfOrder {
		t.Fatalf("re-send got %+v", *d.Reply)
	}
}

func TestAnsweredWithStaleSeqChangesNothing(t *testing.T) {
	s := applying(t, node(), 2)
	s.Answered(1, "v=0 ans")
	if s.State() != ApplyingRemoteOffer {
		t.Fatalf("state %v", s.State())
	}
	s.OfferFailed(1, "x")
	if s.State() != ApplyingRemoteOffer {
		t.Fatalf("state %v", s.State())
	}
}

func TestOfferFailed(t *testing.T) {
	s := applying(t, node(), 3)
	m := s.OfferFailed(3, "bad codec")
	if m.Type != Error || m.Seq != 3 || m.ErrorType != ErrorFailed || m.ErrorCause != "bad codec" || m.RetryAfter != 0 {
		t.Fatalf("OfferFailed = %+v", m)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.State() != Idle || s.Seq() != 3 {
		t.Fatalf("after: %v seq %d", s.State(), s.Seq())
	}
	// The failed offer was not answered, so a re-send is not re-answered.
	d := must(t, s.Receive(offerMsg(3, remoteSDP(3), ClientTieBreaker)), ActionReply)
	if d.Reply.ErrorType != ErrorOutOfOrder {
		t.Fatalf("re-sent failed offer got %+v", *d.Reply)
	}
}

func TestAnswerFailed(t *testing.T) {
	s := answerInFlight(t, node(), 2)
	m := s.AnswerFailed(2, "bad answer")
	if m.Type != Error || m.Seq != 2 || m.ErrorType != ErrorFailed || m.ErrorCause != "bad answer" {
		t.Fatalf("AnswerFailed = %+v", m)
	}
	if s.State() != Idle || s.PendingSeq() != 0 {
		t.Fatalf("after: %v pending %d", s.State(), s.PendingSeq())
	}
	must(t, s.Receive(Message{Type: Answer, Seq: 2, SDP: "v=0 again"}), ActionNone)
}

func TestCancelLocalOffer(t *testing.T) {
	for _, setup := range []func(testing.TB) *Session{
		func(t testing.TB) *Session { return localSent(t, node(), 2) },
		func(t testing.TB) *Session { return requestSent(t, node(), 2) },
		func(t testing.TB) *Session { return answerInFlight(t, node(), 2) },
	} {
		s := setup(t)
		s.CancelLocalOffer()
		if s.State() != Idle || s.PendingSeq() != 0 || s.Seq() != 2 {
			t.Fatalf("after cancel: %v pending %d seq %d", s.State(), s.PendingSeq(), s.Seq())
		}
		if m, err := s.StartOffer("v=0 next"); err != nil || m.Seq != 3 {
			t.Fatalf("StartOffer after cancel = %+v, %v", m, err)
		}
	}
	s := applying(t, node(), 1)
	s.CancelLocalOffer()
	if s.State() != ApplyingRemoteOffer {
		t.Fatalf("cancel changed ApplyingRemoteOffer to %v", s.State())
	}
}

// TestOKNeverRequired runs two exchanges in each direction without any OK.
func TestOKNeverRequired(t *testing.T) {
	s := node()
	must(t, s.Receive(offerMsg(1, "v=0 c1", ClientTieBreaker)), ActionApplyOffer)
	s.Answered(1, "v=0 n1")
	m, err := s.StartOffer("v=0 n2")
	if err != nil || m.Seq != 2 {
		t.Fatalf("StartOffer without OK = %+v, %v", m, err)
	}
	must(t, s.Receive(Message{Type: Answer, Seq: 2, SDP: "v=0 c2"}), ActionApplyAnswer)
	s.AnswerApplied(2)
	must(t, s.Receive(offerMsg(3, "v=0 c3", ClientTieBreaker)), ActionApplyOffer)
	s.Answered(3, "v=0 n3")
	// Late OKs are still welcome.
	must(t, s.Receive(Message{Type: OK, Seq: 1}), ActionNone)
	must(t, s.Receive(Message{Type: OK, Seq: 3, Headers: []string{HeaderNoOkInTransaction}}), ActionNone)
	if s.State() != Idle || s.Seq() != 3 {
		t.Fatalf("after: %v seq %d", s.State(), s.Seq())
	}
}

// TestRetryAfterRejection: an offer rejected with a retryable error is
// re-offered with the next seq.
func TestRetryAfterRejection(t *testing.T) {
	s := localSent(t, node(), 5)
	d := must(t, s.Receive(Message{Type: Error, Seq: 5, ErrorType: ErrorDoubleConflict}), ActionOfferRejected)
	if !d.Retry || !errors.Is(d.Err, ErrRejected) {
		t.Fatalf("decision %+v", d)
	}
	m, err := s.StartOffer("v=0 retry")
	if err != nil || m.Seq != 6 {
		t.Fatalf("retry offer = %+v, %v", m, err)
	}
	// A late duplicate of the old rejection is ignored.
	must(t, s.Receive(Message{Type: Error, Seq: 5, ErrorType: ErrorDoubleConflict}), ActionNone)
	if s.PendingSeq() != 6 {
		t.Fatalf("pending %d", s.PendingSeq())
	}
}

// TestGlareNodeVsClient crosses a node's and a client's offers with the same
// seq and checks both sides settle with the client's offer negotiated and the
// node free to re-offer.
func TestGlareNodeVsClient(t *testing.T) {
	n, c := node(), client()
	nOffer, _ := n.StartOffer("v=0 node")
	cOffer, _ := c.StartOffer("v=0 client")
	if nOffer.Seq != 1 || cOffer.Seq != 1 {
		t.Fatalf("seqs %d %d", nOffer.Seq, cOffer.Seq)
	}
	dc := must(t, c.Receive(nOffer), ActionReply)
	if dc.Reply.ErrorType != ErrorConflict {
		t.Fatalf("client reply %+v", *dc.Reply)
	}
	dn := must(t, n.Receive(cOffer), ActionRollbackApplyOffer)
	if !dn.Reoffer {
		t.Fatal("node must re-offer")
	}
	ans := n.Answered(dn.Seq, "v=0 node answer")
	// The client's CONFLICT reaches the node after it moved on: ignored.
	must(t, n.Receive(*dc.Reply), ActionNone)
	da := must(t, c.Receive(ans), ActionApplyAnswer)
	c.AnswerApplied(da.Seq)
	re, err := n.StartOffer("v=0 node again")
	if err != nil || re.Seq != 2 {
		t.Fatalf("re-offer %+v, %v", re, err)
	}
	must(t, c.Receive(re), ActionApplyOffer)
	must(t, n.Receive(c.Answered(2, "v=0 client answer")), ActionApplyAnswer)
	n.AnswerApplied(2)
	if n.State() != Idle || c.State() != Idle || n.Seq() != 2 || c.Seq() != 2 {
		t.Fatalf("end: node %v/%d client %v/%d", n.State(), n.Seq(), c.State(), c.Seq())
	}
}

func TestRetryAfterOption(t *testing.T) {
	for _, tc := range []struct {
		fn   func() int
		want int
	}{
		{nil, 1},
		{func() int { return 0 }, 1},
		{func() int { return -3 }, 1},
		{func() int { return 9 }, 9},
	} {
		s := NewSession(SessionOptions{TieBreaker: nodeTB, RetryAfter: tc.fn})
		applying(t, s, 1)
		d := must(t, s.Receive(offerMsg(2, "v=0 x", ClientTieBreaker)), ActionReply)
		if d.Reply.RetryAfter != tc.want {
			t.Errorf("retryAfter = %d, want %d", d.Reply.RetryAfter, tc.want)
		}
	}
}

func TestNodeTieBreaker(t *testing.T) {
	for _, r := range []uint32{0, 1, 1000, MaxNodeTieBreaker, ClientTieBreaker, 0xFFFFFFFF} {
		got := NodeTieBreaker(r)
		if got > MaxNodeTieBreaker || got >= ClientTieBreaker {
			t.Errorf("NodeTieBreaker(%#x) = %#x, out of range", r, got)
		}
		if r <= MaxNodeTieBreaker && got != r {
			t.Errorf("NodeTieBreaker(%#x) = %#x, want identity in range", r, got)
		}
	}
}

func TestStrings(t *testing.T) {
	for v, want := range map[State]string{Idle: "Idle", ApplyingRemoteOffer: "ApplyingRemoteOffer",
		LocalOfferSent: "LocalOfferSent", OfferRequestSent: "OfferRequestSent", State(9): "State(9)"} {
		if v.String() != want {
			t.Errorf("%d.String() = %q", int(v), v.String())
		}
	}
	for v, want := range map[Action]string{ActionNone: "None", ActionReply: "Reply", ActionApplyOffer: "ApplyOffer",
		ActionRollbackApplyOffer: "RollbackApplyOffer", ActionApplyAnswer: "ApplyAnswer",
		ActionOfferRejected: "OfferRejected", ActionMakeOffer: "MakeOffer", Action(-1): "Action(-1)"} {
		if v.String() != want {
			t.Errorf("%d.String() = %q", int(v), v.String())
		}
	}
}

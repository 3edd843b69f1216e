package roap

import (
	"errors"
	"testing"
)

// checkInvariants fails t if s is in an impossible state.
func checkInvariants(t testing.TB, s *Session) {
	t.Helper()
	st := s.State()
	if st < Idle || st > OfferRequestSent {
		t.Fatalf("state %v out of range", st)
	}
	idleish := st == Idle || st == ApplyingRemoteOffer
	if (s.PendingSeq() == 0) != idleish {
		t.Fatalf("pending %d in state %v", s.PendingSeq(), st)
	}
	if s.PendingSeq() > s.Seq() {
		t.Fatalf("pending %d above seq %d", s.PendingSeq(), s.Seq())
	}
}

// checkDecision fails t if d is malformed given the state the session is in
// after producing it.
func checkDecision(t testing.TB, in Message, d Decision, s *Session) {
	t.Helper()
	if (d.Action == ActionReply) != (d.Reply != nil) {
		t.Fatalf("action %v with reply %v", d.Action, d.Reply)
	}
	if in.Type == Error && d.Action != ActionNone && d.Action != ActionOfferRejected {
		t.Fatalf("ERROR answered with %v", d.Action)
	}
	if r := d.Reply; r != nil {
		switch r.Type {
		case Answer:
			if d.Err != nil {
				t.Fatalf("cached answer with err %v", d.Err)
			}
		case Error:
			if !r.ErrorType.Known() || d.Err == nil {
				t.Fatalf("bad ERROR reply %+v (err %v)", *r, d.Err)
			}
			if r.ErrorType == ErrorFailed && r.RetryAfter == 0 && !errors.Is(d.Err, ErrInvalidMessage) {
				t.Fatalf("FAILED reply without retryAfter for %v", d.Err)
			}
		default:
			t.Fatalf("reply of type %s", r.Type)
		}
		if r.Seq != in.Seq {
			t.Fatalf("reply seq %d for message seq %d", r.Seq, in.Seq)
		}
		if r.Seq != 0 {
			if err := r.Validate(); err != nil {
				t.Fatalf("invalid reply %+v: %v", *r, err)
			}
		}
	}
	switch d.Action {
	case ActionNone, ActionReply:
	case ActionApplyOffer, ActionRollbackApplyOffer:
		if d.SDP == "" || s.State() != ApplyingRemoteOffer || d.Seq != s.Seq() {
			t.Fatalf("%v seq %d sdp %q leaves %v seq %d", d.Action, d.Seq, d.SDP, s.State(), s.Seq())
		}
		if d.Action == ActionRollbackApplyOffer && !d.Reoffer {
			t.Fatal("rollback without Reoffer")
		}
	case ActionApplyAnswer:
		if d.SDP == "" || s.State() != LocalOfferSent || d.Seq != s.PendingSeq() {
			t.Fatalf("ApplyAnswer seq %d leaves %v pending %d", d.Seq, s.State(), s.PendingSeq())
		}
	case ActionOfferRejected:
		if s.State() != Idle || !errors.Is(d.Err, ErrRejected) {
			t.Fatalf("OfferRejected leaves %v (err %v)", s.State(), d.Err)
		}
	case ActionMakeOffer:
		if s.State() != Idle || d.Seq != s.Seq() {
			t.Fatalf("MakeOffer seq %d leaves %v seq %d", d.Seq, s.State(), s.Seq())
		}
	default:
		t.Fatalf("unknown action %v", d.Action)
	}
}

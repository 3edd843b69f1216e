package roap

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// fuzzInput hands out the fuzz input a byte at a time; past the end it yields
// zeros.
type fuzzInput struct{ b []byte }

func (in *fuzzInput) done() bool { return len(in.b) == 0 }

func (in *fuzzInput) next() byte {
	if len(in.b) == 0 {
		return 0
	}
	c := in.b[0]
	in.b = in.b[1:]
	return c
}

func (in *fuzzInput) pick(n int) int { return int(in.next()) % n }

var (
	fuzzTypes       = []MessageType{Offer, Answer, OK, Error, OfferRequest, OfferResponse, "BOGUS"}
	fuzzSDPs        = []string{"", "v=0 a", "v=0 b", strings.Repeat("s", MaxSDPSize+1)}
	fuzzTieBreakers = []uint32{0, nodeTB, MaxNodeTieBreaker, ClientTieBreaker, math.MaxUint32}
	fuzzErrorTypes  = []ErrorType{"", ErrorDoubleConflict, ErrorConflict, ErrorFailed, ErrorInvalidState, ErrorOutOfOrder, ErrorRetry, "NOMATCH"}
)

// Session ops, one byte each followed by their arguments.
const (
	opReceive = iota // type, seq, sdp, tieBreaker, errorType, retryAfter
	opReceive2
	opReceive3
	opReceive4
	opAnswered       // seq, sdp
	opOfferFailed    // seq
	opStartOffer     // sdp
	opStartOfferReq  //
	opStartOfferResp // sdp
	opAnswerApplied  // seq
	opAnswerFailed   // seq
	opCancelLocal    //
	numOps
)

// fuzzSeq picks a seq relative to the session so that the interesting values
// (current, current+1, pending, the last decision's) come up often.
func fuzzSeq(in *fuzzInput, s *Session, last uint64) uint64 {
	switch c := in.next() % 16; c {
	case 0:
		return 0
	case 1:
		if s.Seq() == 0 {
			return 0
		}
		return s.Seq() - 1
	case 2:
		return s.Seq()
	case 3:
		return s.Seq() + 1
	case 4:
		return s.PendingSeq()
	case 5:
		return last
	case 6:
		return s.Seq() + 2
	case 15:
		return math.MaxUint64
	default:
		return uint64(c - 7)
	}
}

// FuzzSession runs random message and call sequences through a Session:
// nothing may panic, Seq never decreases, PendingSeq is 0 exactly in Idle and
// ApplyingRemoteOffer, and every Decision is well formed.
func FuzzSession(f *testing.F) {
	f.Add([]byte{1, 3, opReceive, 0, 3, 1, 3, 0, 0, opAnswered, 5, 2, opStartOffer, 1, opReceive, 1, 4, 2, 0, 0, 0, opAnswerApplied, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &fuzzInput{b: data}
		tieBreaker := fuzzTieBreakers[in.pick(len(fuzzTieBreakers))]
		retryAfter := int(int8(in.next()))
		s := NewSession(SessionOptions{TieBreaker: tieBreaker, RetryAfter: func() int { return retryAfter }})
		var last uint64
		for steps := 0; !in.done() && steps < 1000; steps++ {
			prevState, prevSeq, prevPending := s.State(), s.Seq(), s.PendingSeq()
			switch op := in.pick(numOps); op {
			case opReceive, opReceive2, opReceive3, opReceive4:
				m := Message{
					Type:       fuzzTypes[in.pick(len(fuzzTypes))],
					Seq:        fuzzSeq(in, s, last),
					SDP:        fuzzSDPs[in.pick(len(fuzzSDPs))],
					TieBreaker: fuzzTieBreakers[in.pick(len(fuzzTieBreakers))],
					ErrorType:  fuzzErrorTypes[in.pick(len(fuzzErrorTypes))],
					RetryAfter: int(int8(in.next())),
				}
				d := s.Receive(m)
				checkDecision(t, m, d, s)
				if m.Type != Error && m.Validate() != nil {
					if d.Action != ActionReply || d.Reply.ErrorType != ErrorFailed || !errors.Is(d.Err, ErrInvalidMessage) {
						t.Fatalf("invalid %+v got %+v", m, d)
					}
					if s.State() != prevState || s.Seq() != prevSeq || s.PendingSeq() != prevPending {
						t.Fatal("invalid message changed the session")
					}
				}
				last = d.Seq
			case opAnswered:
				seq := fuzzSeq(in, s, last)
				sdp := fuzzSDPs[in.pick(len(fuzzSDPs))]
				m := s.Answered(seq, sdp)
				usable := sdp != "" && len(sdp) <= MaxSDPSize
				if m.Seq != seq || (m.Type == Answer) != usable || (m.Type == Error) == usable {
					t.Fatalf("Answered(%d, %d bytes) = %+v", seq, len(sdp), m)
				}
			case opOfferFailed:
				seq := fuzzSeq(in, s, last)
				if m := s.OfferFailed(seq, "x"); m.Type != Error || m.ErrorType != ErrorFailed || m.Seq != seq {
					t.Fatalf("OfferFailed = %+v", m)
				}
			case opStartOffer, opStartOfferReq, opStartOfferResp:
				var m Message
				var err error
				switch op {
				case opStartOffer:
					m, err = s.StartOffer(fuzzSDPs[in.pick(len(fuzzSDPs))])
				case opStartOfferReq:
					m, err = s.StartOfferRequest()
				default:
					m, err = s.StartOfferResponse(fuzzSDPs[in.pick(len(fuzzSDPs))])
				}
				if prevState != Idle && !errors.Is(err, ErrBusy) {
					t.Fatalf("op %d in %v: err %v, want ErrBusy", op, prevState, err)
				}
				if err != nil {
					if s.State() != prevState || s.Seq() != prevSeq || s.PendingSeq() != prevPending {
						t.Fatalf("failed op %d changed the session", op)
					}
					break
				}
				if err := m.Validate(); err != nil {
					t.Fatalf("op %d produced invalid %+v: %v", op, m, err)
				}
				if m.Seq != s.PendingSeq() || m.TieBreaker != s.tieBreaker {
					t.Fatalf("op %d produced %+v, pending %d", op, m, s.PendingSeq())
				}
				if op != opStartOfferResp && m.Seq != prevSeq+1 {
					t.Fatalf("op %d produced seq %d after %d", op, m.Seq, prevSeq)
				}
				last = m.Seq
			case opAnswerApplied:
				s.AnswerApplied(fuzzSeq(in, s, last))
			case opAnswerFailed:
				seq := fuzzSeq(in, s, last)
				if m := s.AnswerFailed(seq, "x"); m.Type != Error || m.Seq != seq {
					t.Fatalf("AnswerFailed = %+v", m)
				}
			case opCancelLocal:
				s.CancelLocalOffer()
			}
			if s.Seq() < prevSeq {
				t.Fatalf("seq went back from %d to %d", prevSeq, s.Seq())
			}
			checkInvariants(t, s)
		}
	})
}

// FuzzParseJSON feeds arbitrary bytes to ParseJSON: it must not panic, must
// return only ErrInvalidMessage errors, and whatever it accepts must be valid
// and survive a MarshalJSON/ParseJSON round trip unchanged.
func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(webexOfferJSON()))
	f.Add([]byte(`{"messageType":"ERROR","seq":2,"errorType":"FAILED","retryAfter":3}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseJSON(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("error %v does not wrap ErrInvalidMessage", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted invalid %+v: %v", m, err)
		}
		out, err := m.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON(%+v): %v", m, err)
		}
		if len(out) <= MaxMessageSize {
			m2, err := ParseJSON(out)
			if err != nil {
				t.Fatalf("re-parse of %s: %v", out, err)
			}
			if len(m.Headers) == 0 && len(m2.Headers) == 0 {
				m.Headers, m2.Headers = nil, nil
			}
			if !reflect.DeepEqual(m, m2) {
				t.Fatalf("round trip changed\n%+v\nto\n%+v", m, m2)
			}
		}
		s := NewSession(SessionOptions{TieBreaker: nodeTB})
		d := s.Receive(m)
		checkDecision(t, m, d, s)
		checkInvariants(t, s)
	})
}

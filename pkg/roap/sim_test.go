package roap

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// simPeer is one side of a simulated connection, driven the way a room (or a
// client) drives a Session: apply at once, retry when told to.
type simPeer struct {
	name     string
	s        *Session
	out      []Message // queue towards the other peer, delivered in order
	want     bool      // a local change still needs negotiating
	offering bool      // our offer carrying the change is outstanding
	gaveUp   int
}

func (p *simPeer) send(m Message) { p.out = append(p.out, m) }

// handle carries out d.
func (p *simPeer) handle(t *testing.T, d Decision) {
	switch d.Action {
	case ActionNone:
	case ActionReply:
		p.send(*d.Reply)
	case ActionApplyOffer, ActionRollbackApplyOffer:
		if d.Reoffer && p.offering {
			p.offering, p.want = false, true
		}
		p.send(p.s.Answered(d.Seq, fmt.Sprintf("v=0 %s answer %d", p.name, d.Seq)))
	case ActionApplyAnswer:
		p.s.AnswerApplied(d.Seq)
		p.offering = false
	case ActionOfferRejected:
		if p.offering {
			p.offering = false
			if d.Retry {
				p.want = true
			} else {
				p.gaveUp++
			}
		}
	case ActionMakeOffer:
		m, err := p.s.StartOfferResponse(fmt.Sprintf("v=0 %s response %d", p.name, d.Seq))
		if err != nil {
			t.Fatalf("%s: StartOfferResponse: %v", p.name, err)
		}
		p.send(m)
		p.offering, p.want = true, false
	default:
		t.Fatalf("%s: unexpected %v", p.name, d.Action)
	}
}

// tryOffer starts an offer for a pending change when the session allows it.
func (p *simPeer) tryOffer() {
	if !p.want || p.s.State() != Idle {
		return
	}
	m, err := p.s.StartOffer(fmt.Sprintf("v=0 %s offer %d", p.name, p.s.Seq()+1))
	if err != nil {
		return
	}
	p.send(m)
	p.want, p.offering = false, true
}

// deliver hands the first queued message of from to to.
func deliver(t *testing.T, from, to *simPeer) {
	m := from.out[0]
	from.out = from.out[1:]
	d := to.s.Receive(m)
	checkDecision(t, m, d, to.s)
	to.handle(t, d)
}

// TestSimulatedPeersConverge drives two sessions against each other with
// random interleavings, crossing offers, offer requests and retransmissions,
// and checks that every change gets negotiated and both sides end Idle.
func TestSimulatedPeersConverge(t *testing.T) {
	pairs := []struct {
		name   string
		tbA    uint32
		tbB    uint32
		random bool
	}{
		{"node-vs-client", nodeTB, ClientTieBreaker, false},
		{"node-vs-node", 0, 0, true},
	}
	for _, pair := range pairs {
		for seed := uint64(1); seed <= 300; seed++ {
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			tbA, tbB := pair.tbA, pair.tbB
			if pair.random {
				tbA = NodeTieBreaker(rng.Uint32())
				tbB = NodeTieBreaker(rng.Uint32())
				if tbA == tbB {
					tbB = tbA ^ 1
				}
			}
			a := &simPeer{name: "a", s: NewSession(SessionOptions{TieBreaker: tbA})}
			b := &simPeer{name: "b", s: NewSession(SessionOptions{TieBreaker: tbB})}
			peers := [2]*simPeer{a, b}
			for step := 0; step < 400; step++ {
				p, q := peers[rng.IntN(2)], peers[0]
				if q == p {
					q = peers[1]
				}
				switch r := rng.IntN(100); {
				case r < 10:
					p.want = true
				case r < 30:
					p.tryOffer()
				case r < 33:
					if p.s.State() == Idle && !p.want {
						if m, err := p.s.StartOfferRequest(); err == nil {
							p.send(m)
						}
					}
				case r < 36:
					if len(p.out) > 0 { // retransmit something already queued
						p.send(p.out[rng.IntN(len(p.out))])
					}
				default:
					if len(p.out) > 0 {
						deliver(t, p, q)
					}
				}
				checkInvariants(t, a.s)
				checkInvariants(t, b.s)
			}
			// Drain: no new changes, deliver everything, offer what is left.
			for i := 0; ; i++ {
				if i > 2000 {
					t.Fatalf("%s seed %d: no convergence: a %v/%d want %v, b %v/%d want %v",
						pair.name, seed, a.s.State(), a.s.Seq(), a.want, b.s.State(), b.s.Seq(), b.want)
				}
				moved := false
				for _, p := range peers {
					q := peers[0]
					if q == p {
						q = peers[1]
					}
					if len(p.out) > 0 {
						deliver(t, p, q)
						moved = true
					}
				}
				if moved {
					continue
				}
				for _, p := range peers {
					p.tryOffer()
					if len(p.out) > 0 {
						moved = true
					}
				}
				if !moved {
					break
				}
			}
			for _, p := range peers {
				if p.s.State() != Idle || p.s.PendingSeq() != 0 || p.want || p.offering || p.gaveUp != 0 {
					t.Fatalf("%s seed %d: %s ended %v pending %d want %v offering %v gaveUp %d",
						pair.name, seed, p.name, p.s.State(), p.s.PendingSeq(), p.want, p.offering, p.gaveUp)
				}
			}
			if a.s.Seq() != b.s.Seq() {
				t.Fatalf("%s seed %d: seqs differ: %d vs %d", pair.name, seed, a.s.Seq(), b.s.Seq())
			}
		}
	}
}

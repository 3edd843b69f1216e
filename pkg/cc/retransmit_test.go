package cc

import (
	"testing"
	"time"

	"github.com/switchyard-sfu/switchyard/pkg/bwe"
)

func TestRetransmitBudget(t *testing.T) {
	const size = 1000
	start := time.Unix(1000, 0)
	tests := []struct {
		name     string
		share    float64
		estimate int           // bit/s
		every    time.Duration // between NACKed packets
		span     time.Duration
		// allowed is the range of retransmissions let through.
		minAllowed, maxAllowed int
	}{
		// 1 Mbit/s × 0.25 = 31250 B/s: a burst of 15625 B (15 packets) at
		// once, then 31 packets a second.
		{"burst after idle", 0.25, 1_000_000, 0, 0, 15, 15},
		{"sustained NACK storm", 0.25, 1_000_000, time.Millisecond, 2 * time.Second, 15 + 61, 15 + 63},
		{"light loss fits", 0.25, 1_000_000, 100 * time.Millisecond, 2 * time.Second, 21, 21},
		{"tiny estimate keeps two packets", 0.25, 10_000, 0, 0, 3, 3},
		{"unbounded", -1, 1_000_000, 0, 0, 1000, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := retransmitBudget{}
			if tc.share > 0 {
				b.share = tc.share
			}
			allowed, tries := 0, 0
			for at := time.Duration(0); at <= tc.span; at += tc.every {
				n := 1
				if tc.every == 0 {
					n = 1000 // everything at one instant
				}
				for range n {
					tries++
					if b.allow(size, tc.estimate, start.Add(at)) {
						allowed++
					}
				}
				if tc.every == 0 {
					break
				}
			}
			if allowed < tc.minAllowed || allowed > tc.maxAllowed {
				t.Fatalf("allowed %d of %d, want %d..%d", allowed, tries, tc.minAllowed, tc.maxAllowed)
			}
			denied, bytes := b.counters()
			if b.share > 0 && (int(denied) != tries-allowed || int(bytes) != allowed*size) {
				t.Fatalf("counters: denied %d bytes %d, want %d and %d", denied, bytes, tries-allowed, allowed*size)
			}
		})
	}
}

// The controller's budget follows its estimate and shows in its stats.
func TestControllerRetransmitBudget(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	c := New(Options{Now: clk.Now, PacingFactor: -1, Estimator: bwe.EstimatorOptions{StartBitrate: 800_000}})
	t.Cleanup(c.Close)
	// 800 kbit/s × 0.25 over 500 ms: 12500 B, 12 packets of 1000 B.
	allowed := 0
	for range 100 {
		if c.AllowRetransmit(1000) {
			allowed++
		}
	}
	if allowed != 12 {
		t.Fatalf("allowed %d retransmissions at once, want 12", allowed)
	}
	clk.Advance(100 * time.Millisecond) // 2500 B more, 500 B were left
	if !c.AllowRetransmit(1000) || !c.AllowRetransmit(1000) || !c.AllowRetransmit(1000) || c.AllowRetransmit(1000) {
		t.Fatal("the budget did not refill at 0.25 × the estimate")
	}
	st := c.Stats()
	if st.RetransmitsDenied != 89 || st.Retransmitted != 15*1000 {
		t.Fatalf("stats: denied %d, retransmitted %d B", st.RetransmitsDenied, st.Retransmitted)
	}

	off := New(Options{Now: clk.Now, PacingFactor: -1, RetransmitShare: -1})
	t.Cleanup(off.Close)
	for range 1000 {
		if !off.AllowRetransmit(1500) {
			t.Fatal("a negative share must not bound retransmissions")
		}
	}
}

package bwe

import (
	"testing"
	"time"
)

// BenchmarkOnPacketSent is the per-packet cost on the send path: it must
// not allocate.
func BenchmarkOnPacketSent(b *testing.B) {
	e := NewEstimator(EstimatorOptions{})
	now := t0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now = now.Add(100 * time.Microsecond)
		e.OnPacketSent(PacketSent{TransportSeq: uint16(i), Size: 1200, SentAt: now})
	}
}

// BenchmarkOnFeedback is one transport-cc feedback reporting 50 packets
// (about 50 ms at 10 Mbit/s), 2 % of them lost.
func BenchmarkOnFeedback(b *testing.B) {
	e := NewEstimator(EstimatorOptions{})
	const n = 50
	res := make([]PacketResult, n)
	now := t0
	seq := uint16(0)
	prepare := func() {
		for i := range res {
			now = now.Add(time.Millisecond)
			e.OnPacketSent(PacketSent{TransportSeq: seq, Size: 1200, SentAt: now})
			res[i] = PacketResult{TransportSeq: seq, Received: i%50 != 7, ArrivedAt: now.Add(40 * time.Millisecond)}
			seq++
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		prepare()
		b.StartTimer()
		e.OnFeedback(res, now.Add(50*time.Millisecond))
	}
}

// BenchmarkAllocate is one allocation for a connection with audio and
// nine video slots (a 3×3 grid), done in the room actor.
func BenchmarkAllocate(b *testing.B) {
	slots := []Slot{audio("a", 40_000)}
	for i := range 9 {
		slots = append(slots, video(string(rune('b'+i)), 9-i, 0, ladder...))
	}
	b.ReportAllocs()
	for b.Loop() {
		Allocate(2_000_000, slots, DefaultHysteresis)
	}
}

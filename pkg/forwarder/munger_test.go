package forwarder

import (
	"testing"
	"time"
)

type mungeStep struct {
	inSeq  uint16
	inTS   uint32
	after  time.Duration // wall time since the previous step
	want   mungeResult
	outSeq uint16 // checked when want == mungeForward
	outTS  uint32
}

func runMunger(t *testing.T, m *munger, steps []mungeStep) {
	t.Helper()
	at := time.Unix(1_700_000_000, 0)
	for i, s := range steps {
		at = at.Add(s.after)
		seq, ts, res := m.update(s.inSeq, s.inTS, at)
		if res != s.want {
			t.Fatalf("step %d (in %d/%d): result %d, want %d", i, s.inSeq, s.inTS, res, s.want)
		}
		if res == mungeForward && (seq != s.outSeq || ts != s.outTS) {
			t.Fatalf("step %d (in %d/%d): out %d/%d, want %d/%d", i, s.inSeq, s.inTS, seq, ts, s.outSeq, s.outTS)
		}
	}
}

func TestMungerContiguousFromStart(t *testing.T) {
	m := newMunger(90000)
	m.reset(1, 5000, 1_000_000)
	runMunger(t, m, []mungeStep{
		{inSeq: 40000, inTS: 7000, want: mungeForward, outSeq: 5000, outTS: 1_000_000},
		{inSeq: 40001, inTS: 7000, want: mungeForward, outSeq: 5001, outTS: 1_000_000},
		{inSeq: 40002, inTS: 10000, want: mungeForward, outSeq: 5002, outTS: 1_003_000},
		// A gap upstream stays a gap downstream (the subscriber NACKs it).
		{inSeq: 40005, inTS: 13000, want: mungeForward, outSeq: 5005, outTS: 1_006_000},
	})
}

func TestMungerWraps(t *testing.T) {
	t.Run("incoming seq and ts wrap", func(t *testing.T) {
		m := newMunger(90000)
		m.reset(1, 100, 50)
		runMunger(t, m, []mungeStep{
			{inSeq: 65534, inTS: 0xFFFFF000, want: mungeForward, outSeq: 100, outTS: 50},
			{inSeq: 65535, inTS: 0xFFFFFC00, want: mungeForward, outSeq: 101, outTS: 50 + 0xC00},
			{inSeq: 0, inTS: 0x00000800, want: mungeForward, outSeq: 102, outTS: 50 + 0x1800},
			{inSeq: 1, inTS: 0x00000800, want: mungeForward, outSeq: 103, outTS: 50 + 0x1800},
		})
	})
	t.Run("outgoing seq and ts wrap", func(t *testing.T) {
		m := newMunger(90000)
		m.reset(1, 65535, 0xFFFFFFFF)
		runMunger(t, m, []mungeStep{
			{inSeq: 10, inTS: 1000, want: mungeForward, outSeq: 65535, outTS: 0xFFFFFFFF},
			{inSeq: 11, inTS: 4000, want: mungeForward, outSeq: 0, outTS: 2999},
			{inSeq: 12, inTS: 4000, want: mungeForward, outSeq: 1, outTS: 2999},
		})
	})
}

func TestMungerReordering(t *testing.T) {
	m := newMunger(90000)
	m.reset(1, 1000, 0)
	runMunger(t, m, []mungeStep{
		{inSeq: 500, inTS: 0, want: mungeForward, outSeq: 1000},
		{inSeq: 503, inTS: 0, want: mungeForward, outSeq: 1003},
		{inSeq: 501, inTS: 0, want: mungeForward, outSeq: 1001}, // late: its own number
		{inSeq: 501, inTS: 0, want: mungeDuplicate},             // again
		{inSeq: 503, inTS: 0, want: mungeDuplicate},             // newest again
		{inSeq: 499, inTS: 0, want: mungeTooOld},                // before the anchor
		{inSeq: 502, inTS: 0, want: mungeForward, outSeq: 1002},
		{inSeq: 504, inTS: 0, want: mungeForward, outSeq: 1004},
	})
	// Far behind the newest: outside the reorder window.
	m2 := newMunger(90000)
	m2.reset(1, 0, 0)
	steps := []mungeStep{{inSeq: 0, want: mungeForward, outSeq: 0}}
	steps = append(steps, mungeStep{inSeq: 2000, want: mungeForward, outSeq: 2000})
	steps = append(steps, mungeStep{inSeq: 1500, want: mungeForward, outSeq: 1500})
	steps = append(steps, mungeStep{inSeq: 500, want: mungeTooOld})
	runMunger(t, m2, steps)
}

func TestMungerReanchor(t *testing.T) {
	m := newMunger(90000)
	m.reset(1, 100, 9000)
	runMunger(t, m, []mungeStep{
		{inSeq: 10, inTS: 3000, want: mungeForward, outSeq: 100, outTS: 9000},
		{inSeq: 11, inTS: 6000, want: mungeForward, outSeq: 101, outTS: 12000},
	})
	first := m.segment()
	// A new incoming stream (another source) with unrelated numbers, 0.5 s later.
	m.reanchor(2)
	at := time.Unix(1_700_000_000, 0).Add(500 * time.Millisecond)
	seq, ts, res := m.update(60000, 123456789, at)
	if res != mungeForward || seq != 102 || ts != 12000+45000 {
		t.Fatalf("re-anchored packet: %d/%d/%d, want 102/%d", seq, ts, res, 12000+45000)
	}
	seq, ts, _ = m.update(60001, 123456789+3000, at)
	if seq != 103 || ts != 12000+45000+3000 {
		t.Fatalf("next packet: %d/%d", seq, ts)
	}
	// Late packets of the old stream, or of the new one before its anchor, are dropped.
	if _, _, res := m.update(59999, 0, at); res != mungeTooOld {
		t.Errorf("packet before the new anchor: %d, want too old", res)
	}

	// NACK mapping follows only the current segment.
	s := m.segment()
	if s == first || s.epoch != 2 {
		t.Fatalf("segment not replaced: %p %+v", s, s)
	}
	for _, tc := range []struct {
		out  uint16
		in   uint16
		want bool
	}{{102, 60000, true}, {103, 60001, true}, {101, 0, false}, {104, 0, false}} {
		in, ok := s.lookup(tc.out)
		if ok != tc.want || (ok && in != tc.in) {
			t.Errorf("lookup(%d) = %d, %v; want %d, %v", tc.out, in, ok, tc.in, tc.want)
		}
	}
	if in, ok := first.lookup(101); !ok || in != 11 {
		t.Errorf("old segment lookup(101) = %d, %v", in, ok)
	}
}

func TestMungerReanchorTimestampGap(t *testing.T) {
	for _, tc := range []struct {
		name string
		gap  time.Duration
		want uint32
	}{
		{"no time passed", 0, 1},
		{"20ms at 48kHz", 20 * time.Millisecond, 960},
		{"capped", 48 * time.Hour, uint32(maxAnchorGap / time.Second * 48000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMunger(48000)
			m.reset(1, 0, 1000)
			at := time.Unix(0, 0)
			m.update(0, 0, at)
			m.reanchor(1)
			_, ts, _ := m.update(777, 5, at.Add(tc.gap))
			if ts-1000 != tc.want {
				t.Errorf("ts advanced by %d, want %d", ts-1000, tc.want)
			}
		})
	}
}

func TestSegmentLookupLongSegment(t *testing.T) {
	// A segment longer than the 16-bit space still maps recent numbers.
	m := newMunger(90000)
	m.reset(1, 0, 0)
	at := time.Unix(0, 0)
	for i := range 70000 {
		m.update(uint16(i), 0, at)
	}
	s := m.segment()
	newest := uint16(69999 % 65536)
	for _, back := range []uint16{0, 1, 500, 30000} {
		if in, ok := s.lookup(newest - back); !ok || in != newest-back {
			t.Errorf("lookup(newest-%d) = %d, %v", back, in, ok)
		}
	}
	if _, ok := s.lookup(newest + 1); ok {
		t.Error("lookup of an unsent number hit")
	}
}

func BenchmarkMunger(b *testing.B) {
	m := newMunger(90000)
	m.reset(1, 0, 0)
	at := time.Unix(0, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		seq := uint16(i)
		if i%16 == 5 { // some reordering
			seq -= 3
		}
		m.update(seq, uint32(i/8)*3000, at)
	}
}

func TestMungerDropKeepsSequenceContiguous(t *testing.T) {
	m := newMunger(90000)
	m.reset(1, 100, 0)
	at := time.Unix(0, 0)
	fwd := func(in uint16) uint16 {
		t.Helper()
		out, _, res := m.update(in, 0, at)
		if res != mungeForward {
			t.Fatalf("forward %d: result %d", in, res)
		}
		return out
	}
	drop := func(in uint16, absorbGap bool, want mungeResult) uint16 {
		t.Helper()
		out, _, res := m.drop(in, 0, absorbGap)
		if res != want {
			t.Fatalf("drop %d: result %d, want %d", in, res, want)
		}
		return out
	}
	if fwd(10) != 100 || fwd(11) != 101 {
		t.Fatal("start")
	}
	drop(12, false, mungeAbsorbed) // the newest dropped: no number
	if got := fwd(13); got != 102 {
		t.Fatalf("after a drop: %d, want 102", got)
	}
	// 14 is missing when 15 is dropped: 14 keeps a number (a loss the
	// subscriber may NACK), 15 takes none.
	drop(15, false, mungeAbsorbed)
	if got := fwd(16); got != 104 {
		t.Fatalf("after a hole and a drop: %d, want 104", got)
	}
	if got := fwd(14); got != 103 { // the late packet fills its hole
		t.Fatalf("late packet: %d, want 103", got)
	}
	// 17 and 19 belong to one dropped frame: 18 between them is absorbed too.
	drop(17, false, mungeAbsorbed)
	drop(19, true, mungeAbsorbed)
	if got := fwd(20); got != 105 {
		t.Fatalf("after an absorbed gap: %d, want 105", got)
	}
	drop(18, false, mungeTooOld) // late, absorbed: no number to fill
	// 21 missing, 22 forwarded; 21 then arrives but is dropped: its number
	// is returned for padding.
	if got := fwd(22); got != 107 {
		t.Fatalf("with a gap: %d, want 107", got)
	}
	if got := drop(21, false, mungeForward); got != 106 {
		t.Fatalf("late dropped packet: number %d, want 106", got)
	}
	drop(21, false, mungeDuplicate)

	// NACKs map every number back, across the segments the drops created.
	for out, in := range map[uint16]uint16{100: 10, 101: 11, 102: 13, 103: 14, 104: 16, 105: 20, 106: 21, 107: 22} {
		if _, got, ok := m.segs.lookup(out, 1); !ok || got != in {
			t.Errorf("lookup(%d) = %d, %v; want %d", out, got, ok, in)
		}
	}
	if _, _, ok := m.segs.lookup(108, 1); ok {
		t.Error("lookup of an unsent number hit")
	}
	if _, _, ok := m.segs.lookup(100, 2); ok {
		t.Error("lookup under another epoch hit")
	}
}

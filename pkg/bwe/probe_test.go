package bwe

import (
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

func TestProbeControllerStart(t *testing.T) {
	p := NewProbeController(ProbeOptions{})
	first, ok := p.Next(t0, 300_000, 0)
	// 15 ms at 900 kbit/s is 1688 bytes: raised to the 5 × 1200 byte floor.
	if !ok || first != (Probe{Cluster: 1, Bitrate: 900_000, Packets: 5, Bytes: 6000}) {
		t.Fatalf("first probe = %+v, %v", first, ok)
	}
	second, ok := p.Next(t0, 300_000, 0)
	if !ok || second != (Probe{Cluster: 2, Bitrate: 1_800_000, Packets: 5, Bytes: 6000}) {
		t.Fatalf("second probe = %+v, %v", second, ok)
	}
	if d := second.Duration(); d < 26*time.Millisecond || d > 27*time.Millisecond {
		t.Fatalf("second probe lasts %v", d)
	}
	if pr, ok := p.Next(ms(10), 300_000, 5_000_000); ok {
		t.Fatalf("probe %+v while two are in flight", pr)
	}
	p.OnProbeResult(1, 900_000, ms(200))
	p.OnProbeResult(2, 1_800_000, ms(210))
	p.OnProbeResult(99, 1, ms(210)) // unknown: ignored
	if pr, ok := p.Next(ms(300), 1_800_000, 0); ok {
		t.Fatalf("probe %+v with nothing wanted", pr)
	}
	if pr, ok := p.Next(ms(300), 1_800_000, 3_000_000); ok {
		t.Fatalf("probe %+v before MinInterval", pr)
	}
	pr, ok := p.Next(ms(510), 1_800_000, 3_000_000)
	if !ok || pr.Cluster != 3 || pr.Bitrate != 3_750_000 || pr.Packets != 6 || pr.Bytes != 7032 {
		t.Fatalf("upgrade probe = %+v, %v; want 1.25 × 3M in 6 packets", pr, ok)
	}
}

func TestProbeControllerLimits(t *testing.T) {
	p := NewProbeController(ProbeOptions{MaxBitrate: 1_000_000})
	a, _ := p.Next(t0, 300_000, 0)
	b, _ := p.Next(t0, 300_000, 0)
	if a.Bitrate != 900_000 || b.Bitrate != 1_000_000 {
		t.Fatalf("start probes %d, %d; want 900k and the 1M max", a.Bitrate, b.Bitrate)
	}
	p.OnProbeResult(a.Cluster, 900_000, ms(100))
	p.OnProbeResult(b.Cluster, 1_000_000, ms(100))

	p = NewProbeController(ProbeOptions{})
	p.started = len(startFactors) // skip the start probes
	if pr, ok := p.Next(t0, 500_000, 500_000); ok {
		t.Fatalf("probe %+v for a want the estimate covers", pr)
	}
	pr, ok := p.Next(t0, 500_000, 10_000_000)
	if !ok || pr.Bitrate != 2_000_000 {
		t.Fatalf("probe %+v; want MaxFactor × the estimate = 2M", pr)
	}
}

// TestProbeControllerBackoff: failed probes back off 1, 2, 4, 4 s; a
// success resets the back-off; a lost probe times out as a failure.
func TestProbeControllerBackoff(t *testing.T) {
	p := NewProbeController(ProbeOptions{})
	p.started = len(startFactors)
	now := 0
	for i, wait := range []int{1000, 2000, 4000, 4000} {
		pr, ok := p.Next(ms(now), 1_000_000, 3_000_000)
		if !ok {
			t.Fatalf("round %d: no probe at %d ms", i, now)
		}
		now += 100
		p.OnProbeResult(pr.Cluster, 1_200_000, ms(now)) // far short of 3M
		if pr, ok := p.Next(ms(now+wait-1), 1_000_000, 3_000_000); ok {
			t.Fatalf("round %d: probe %+v before the %d ms back-off", i, pr, wait)
		}
		now += wait
	}
	pr, _ := p.Next(ms(now), 1_000_000, 3_000_000)
	p.OnProbeResult(pr.Cluster, 3_000_000, ms(now+100))
	if _, ok := p.Next(ms(now+400), 3_000_000, 5_000_000); !ok {
		t.Fatal("no probe 300 ms after a success")
	}
	// That probe never reports: after the timeout it counts as failed.
	if _, ok := p.Next(ms(now+2300), 3_000_000, 5_000_000); ok {
		t.Fatal("probe while one is in flight and not timed out")
	}
	if _, ok := p.Next(ms(now+2500), 3_000_000, 5_000_000); ok {
		t.Fatal("probe right after a timeout")
	}
	if _, ok := p.Next(ms(now+3500), 3_000_000, 5_000_000); !ok {
		t.Fatal("no probe one back-off after the timeout")
	}
}

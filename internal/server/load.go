package server

import (
	"sync"
	"syscall"
	"time"

	"github.com/switchyard-sfu/switchyard/pkg/room"
)

// minSampleInterval keeps rates meaningful when GetNodeInfo is polled fast.
const minSampleInterval = time.Second

// loadSampler turns cumulative counters into rates between GetNodeInfo
// calls: each call at least minSampleInterval after the previous sample
// reports the average since then; faster calls repeat the last rates.
type loadSampler struct {
	mu     sync.Mutex
	at     time.Time
	totals room.TrafficTotals
	cpu    time.Duration
	last   rates
}

type rates struct {
	packetsIn, packetsOut, bytesIn, bytesOut, cpuCores float64
}

func newLoadSampler() *loadSampler {
	return &loadSampler{at: time.Now(), cpu: processCPU()}
}

func (l *loadSampler) sample(t room.TrafficTotals) rates {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	dt := now.Sub(l.at)
	if dt < minSampleInterval {
		return l.last
	}
	cpu := processCPU()
	sec := dt.Seconds()
	l.last = rates{
		packetsIn:  float64(t.PacketsIn-l.totals.PacketsIn) / sec,
		packetsOut: float64(t.PacketsOut-l.totals.PacketsOut) / sec,
		bytesIn:    float64(t.BytesIn-l.totals.BytesIn) / sec,
		bytesOut:   float64(t.BytesOut-l.totals.BytesOut) / sec,
		cpuCores:   (cpu - l.cpu).Seconds() / sec,
	}
	l.at, l.totals, l.cpu = now, t, cpu
	return l.last
}

// processCPU is the user+system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

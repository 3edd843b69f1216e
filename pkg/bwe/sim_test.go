package bwe

import (
	"math/rand/v2"
	"slices"
	"time"
)

// This file is a small discrete-time simulator of one sender, one
// bottleneck link and one transport-cc receiver, used to drive the
// estimator with synthetic but causally consistent feedback.

// simLink is a FIFO bottleneck: a rate that may change over time, a queue
// bounded in time (packets that would wait longer are dropped), random
// loss after the queue, stalls (the link serves nothing for a while: a
// delay spike) and a fixed one-way propagation delay.
type simLink struct {
	capacity   func(t time.Duration) int // bit/s at sim time t
	delay      time.Duration             // one-way propagation
	queueLimit time.Duration             // longest wait in the queue
	loss       float64                   // random loss probability
	stalls     []simStall
	rng        *rand.Rand
	busyUntil  time.Duration // when the last accepted packet leaves
	// burst, if set, makes the link a token bucket of that depth (bytes):
	// after an idle spell it lets that much through at once, as pion's
	// vnet TBF queue and real policers do. Stalls are ignored then.
	burst int
	tat   time.Duration // the bucket's theoretical arrival time (GCRA)
	// readEvery, if set, stamps arrivals as a receiver that wakes up at
	// random intervals of 0–2 × readEvery and reads what has arrived
	// meanwhile: packets that arrived apart get the same stamp.
	readEvery time.Duration
	wake      time.Duration
}

// stamp is the receive time the receiver reports for a packet arriving
// at arrive.
func (l *simLink) stamp(arrive time.Duration) time.Duration {
	if l.readEvery <= 0 {
		return arrive
	}
	for l.wake < arrive {
		l.wake += time.Duration(l.rng.Int64N(int64(2*l.readEvery) + 1))
	}
	return l.wake
}

type simStall struct{ at, dur time.Duration }

// send offers a packet of size bytes at t; it returns its arrival time at
// the receiver, or ok false if it was dropped.
func (l *simLink) send(t time.Duration, size int) (arrive time.Duration, ok bool) {
	if l.burst > 0 {
		return l.sendBucket(t, size)
	}
	start := max(t, l.busyUntil)
	for _, s := range l.stalls {
		if start >= s.at && start < s.at+s.dur {
			start = s.at + s.dur
		}
	}
	if start-t > l.queueLimit {
		return 0, false // tail drop
	}
	c := max(l.capacity(start), 1)
	l.busyUntil = start + time.Duration(float64(size*8)/float64(c)*float64(time.Second))
	if l.loss > 0 && l.rng.Float64() < l.loss {
		return 0, false
	}
	return l.busyUntil + l.delay, true
}

// sendBucket is send through a token bucket of depth burst: a packet
// leaves once the bucket holds its size (GCRA).
func (l *simLink) sendBucket(t time.Duration, size int) (arrive time.Duration, ok bool) {
	c := float64(max(l.capacity(t), 1))
	tau := time.Duration(float64(l.burst*8) / c * float64(time.Second))
	cost := time.Duration(float64(size*8) / c * float64(time.Second))
	leave := max(t, l.tat+cost-tau)
	if leave-t > l.queueLimit {
		return 0, false // tail drop
	}
	l.tat = max(l.tat, leave) + cost
	l.busyUntil = leave
	if l.loss > 0 && l.rng.Float64() < l.loss {
		return 0, false
	}
	return leave + l.delay, true
}

// queueDelay is how long a packet offered at t would wait.
func (l *simLink) queueDelay(t time.Duration) time.Duration { return max(l.busyUntil-t, 0) }

// simConfig describes one run.
type simConfig struct {
	dur    time.Duration
	link   *simLink
	demand func(t time.Duration) int // what the application would send; the sender sends min(demand, estimate)
	probe  bool                      // run a ProbeController (start probes and probes towards demand)
	// probeWant, if set, is the allocator's probe target instead of the
	// demand: the sender stays application-limited at demand while the
	// allocator probes for an upgrade it cannot yet afford.
	probeWant int
	// wantUntil stops probing towards demand after this time (0: never).
	wantUntil time.Duration
	opts      EstimatorOptions
	// probePacket, if set, is the size of probe packets (padding), as many
	// as the cluster's bytes need; otherwise Bytes/Packets.
	probePacket int
	// hooks run at each millisecond before sending (caps, REMB, ...).
	hook func(t time.Duration, now time.Time, e *Estimator)
}

// simSample is the state every 100 ms.
type simSample struct {
	t        time.Duration
	capacity int
	estimate int
	sent     int // bit/s over the last 100 ms
	queue    time.Duration
}

type simPending struct {
	seq    uint16
	arrive time.Duration
	ok     bool
}

type simFeedback struct {
	at      time.Duration
	results []PacketResult
}

const (
	simStep       = time.Millisecond
	simPacket     = 1200
	simFeedbackIv = 50 * time.Millisecond
)

// runSim runs the scenario and returns a sample every 100 ms, plus the
// probe results seen.
func runSim(cfg simConfig) (samples []simSample, probes []ProbeResult) {
	e := NewEstimator(cfg.opts)
	var pc *ProbeController
	if cfg.probe {
		pc = NewProbeController(ProbeOptions{MaxBitrate: cfg.opts.MaxBitrate})
	}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	recvBase := t0.Add(-17 * time.Hour) // a different clock: only differences matter
	var (
		seq       uint16 = 65000 // wraps early in every run
		pending   []simPending
		feedbacks []simFeedback
		budget    float64 // media bytes the sender may send now
		sentBytes int
		probe     Probe
		probeAt   []time.Duration
		probeSent int
	)
	sendPacket := func(at time.Duration, size int, isProbe bool, cluster int) {
		seq++
		e.OnPacketSent(PacketSent{TransportSeq: seq, Size: size, SentAt: t0.Add(at), Probe: isProbe, ProbeCluster: cluster})
		arrive, ok := cfg.link.send(at, size)
		if ok {
			arrive = cfg.link.stamp(arrive)
		}
		pending = append(pending, simPending{seq: seq, arrive: arrive, ok: ok})
		sentBytes += size
	}
	for t := time.Duration(0); t < cfg.dur; t += simStep {
		now := t0.Add(t)
		for len(feedbacks) > 0 && feedbacks[0].at <= t {
			e.OnFeedback(feedbacks[0].results, now)
			feedbacks = feedbacks[1:]
			for r, ok := e.PopProbeResult(); ok; r, ok = e.PopProbeResult() {
				probes = append(probes, r)
				pc.OnProbeResult(r.Cluster, r.Bitrate, now)
			}
		}
		if cfg.hook != nil {
			cfg.hook(t, now, e)
		}
		est := e.Estimate()
		demand := cfg.demand(t)
		if pc != nil && probeAt == nil {
			want := 0
			if demand > est && (cfg.wantUntil == 0 || t < cfg.wantUntil) {
				want = demand
			}
			if cfg.probeWant > 0 {
				want = cfg.probeWant
			}
			if p, ok := pc.Next(now, est, want); ok {
				probe, probeSent = p, 0
				if cfg.probePacket > 0 {
					probe.Packets = max(p.Packets, (p.Bytes+cfg.probePacket-1)/cfg.probePacket)
				}
				gap := time.Duration(float64(probe.Bytes) / float64(probe.Packets) * 8 / float64(p.Bitrate) * float64(time.Second))
				for i := range probe.Packets {
					probeAt = append(probeAt, t+time.Duration(i)*gap)
				}
			}
		}
		if probeAt != nil {
			// The pacer sends the cluster at its rate; media waits.
			for probeSent < len(probeAt) && probeAt[probeSent] < t+simStep {
				size := probe.Bytes / probe.Packets
				sendPacket(probeAt[probeSent], size, true, probe.Cluster)
				probeSent++
			}
			if probeSent == len(probeAt) {
				probeAt = nil
			}
		} else {
			rate := min(est, demand)
			budget = min(budget+float64(rate)*simStep.Seconds()/8, float64(rate)*0.01/8+simPacket)
			for budget >= simPacket {
				sendPacket(t, simPacket, false, 0)
				budget -= simPacket
			}
		}
		if t%simFeedbackIv == 0 && len(pending) > 0 {
			// Report everything up to the newest arrived packet.
			last := -1
			for i, p := range pending {
				if p.ok && p.arrive <= t {
					last = i
				}
			}
			if last >= 0 {
				res := make([]PacketResult, 0, last+1)
				for _, p := range pending[:last+1] {
					res = append(res, PacketResult{TransportSeq: p.seq, Received: p.ok, ArrivedAt: recvBase.Add(p.arrive)})
				}
				pending = pending[last+1:]
				feedbacks = append(feedbacks, simFeedback{at: t + cfg.link.delay, results: res})
			}
		}
		if t%(100*time.Millisecond) == 0 {
			samples = append(samples, simSample{
				t:        t,
				capacity: cfg.link.capacity(t),
				estimate: e.Estimate(),
				sent:     sentBytes * 8 * 10,
				queue:    cfg.link.queueDelay(t),
			})
			sentBytes = 0
		}
	}
	return samples, probes
}

// constant returns a schedule with one rate.
func constant(r int) func(time.Duration) int { return func(time.Duration) int { return r } }

// steps returns a schedule: rates[i] from at[i] on.
func steps(at []time.Duration, rates []int) func(time.Duration) int {
	return func(t time.Duration) int {
		r := rates[0]
		for i, a := range at {
			if t >= a {
				r = rates[i]
			}
		}
		return r
	}
}

func newLink(capacity func(time.Duration) int, seed uint64) *simLink {
	return &simLink{
		capacity:   capacity,
		delay:      50 * time.Millisecond,
		queueLimit: 300 * time.Millisecond,
		rng:        rand.New(rand.NewPCG(seed, 0x5eed)),
	}
}

// window selects the samples in [from, to).
func window(s []simSample, from, to time.Duration) []simSample {
	var out []simSample
	for _, x := range s {
		if x.t >= from && x.t < to {
			out = append(out, x)
		}
	}
	return out
}

// meanRatio is the mean of estimate/capacity (field est) or sent/capacity.
func meanRatio(s []simSample, sent bool) float64 {
	var sum float64
	for _, x := range s {
		v := x.estimate
		if sent {
			v = x.sent
		}
		sum += float64(v) / float64(x.capacity)
	}
	return sum / float64(max(len(s), 1))
}

// firstAt returns the first sample time at or after from where cond holds,
// or -1.
func firstAt(s []simSample, from time.Duration, cond func(simSample) bool) time.Duration {
	for _, x := range s {
		if x.t >= from && cond(x) {
			return x.t
		}
	}
	return -1
}

// p95Queue is the 95th percentile of the sampled queueing delay.
func p95Queue(s []simSample) time.Duration {
	q := make([]time.Duration, 0, len(s))
	for _, x := range s {
		q = append(q, x.queue)
	}
	slices.Sort(q)
	if len(q) == 0 {
		return 0
	}
	return q[len(q)*95/100]
}

// maxEstimate is the highest sampled estimate.
func maxEstimate(s []simSample) int {
	m := 0
	for _, x := range s {
		m = max(m, x.estimate)
	}
	return m
}

// inBand is the fraction of samples whose estimate is within [lo, hi] ×
// capacity.
func inBand(s []simSample, lo, hi float64) float64 {
	n := 0
	for _, x := range s {
		r := float64(x.estimate) / float64(x.capacity)
		if r >= lo && r <= hi {
			n++
		}
	}
	return float64(n) / float64(max(len(s), 1))
}

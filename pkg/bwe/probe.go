package bwe

import (
	"math"
	"time"
)

// Defaults for [ProbeOptions].
const (
	DefaultProbeDuration    = 15 * time.Millisecond
	DefaultProbeMinPackets  = 5
	DefaultProbePacketSize  = 1200
	DefaultProbeMinInterval = 300 * time.Millisecond
	DefaultProbeBackoff     = 1 * time.Second
	DefaultProbeMaxBackoff  = 4 * time.Second
	DefaultProbeTimeout     = 2 * time.Second
	DefaultProbeMaxFactor   = 4.0

	// probeOvershoot: a probe for an upgrade goes this far above what the
	// upgrade needs, so that a confirmed probe clears the allocator's
	// upgrade margin even if the measurement comes out a little low.
	probeOvershoot = 1.25
	// probeSuccess: delivered/goal at or above this counts as success.
	probeSuccess = 0.9
	// maxInFlight bounds the clusters awaiting a result.
	maxInFlight = 4
)

// startFactors are the multiples of the start rate probed at start
// (libwebrtc's first and second exponential probes).
var startFactors = [...]int{3, 6}

// ProbeOptions configure a [ProbeController]. Zero fields take defaults.
type ProbeOptions struct {
	// MaxBitrate bounds every probe (bit/s); zero means [DefaultMaxBitrate].
	MaxBitrate int
	// Duration, MinPackets and PacketSize shape a cluster: it carries
	// Bitrate × Duration bytes, and at least MinPackets × PacketSize (what
	// libwebrtc's minimum of 5 media-sized packets amounts to), in at
	// least MinPackets packets of at most PacketSize bytes. The byte floor
	// matters when probes are sent as small padding packets: a cluster
	// not much larger than what a bottleneck lets through in one burst
	// measures the burst, not the rate.
	Duration   time.Duration
	MinPackets int
	PacketSize int
	// MinInterval separates a successful probe's result from the next
	// probe; Backoff is the wait after a failed one, doubling up to
	// MaxBackoff while probes keep failing.
	MinInterval time.Duration
	Backoff     time.Duration
	MaxBackoff  time.Duration
	// Timeout is how long a cluster may wait for its result before it
	// counts as failed.
	Timeout time.Duration
	// MaxFactor bounds an upgrade probe to MaxFactor × the estimate, so a
	// large want after a collapse is approached in steps.
	MaxFactor float64
}

func (o ProbeOptions) withDefaults() ProbeOptions {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.MaxBitrate <= 0 {
		o.MaxBitrate = DefaultMaxBitrate
	}
	def(&o.Duration, DefaultProbeDuration)
	if o.MinPackets <= 0 {
		o.MinPackets = DefaultProbeMinPackets
	}
	if o.PacketSize <= 0 {
		o.PacketSize = DefaultProbePacketSize
	}
	def(&o.MinInterval, DefaultProbeMinInterval)
	def(&o.Backoff, DefaultProbeBackoff)
	def(&o.MaxBackoff, DefaultProbeMaxBackoff)
	o.MaxBackoff = max(o.MaxBackoff, o.Backoff)
	def(&o.Timeout, DefaultProbeTimeout)
	if !(o.MaxFactor >= 1.5) { // also catches NaN
		o.MaxFactor = DefaultProbeMaxFactor
	}
	return o
}

// Probe asks the pacer to send one cluster: Packets packets carrying Bytes
// bytes in total, spaced evenly at Bitrate (so the cluster lasts about
// Bytes×8/Bitrate). Every packet sent while the cluster is active, media
// or padding, is reported to [Estimator.OnPacketSent] with Probe set and
// ProbeCluster = Cluster.
type Probe struct {
	Cluster int
	Bitrate int // bit/s
	Packets int
	Bytes   int
}

// Duration is how long the cluster takes at its rate.
func (p Probe) Duration() time.Duration {
	if p.Bitrate <= 0 {
		return 0
	}
	return time.Duration(float64(p.Bytes) * 8 / float64(p.Bitrate) * float64(time.Second))
}

type inflight struct {
	cluster int
	goal    int // delivered rate that counts as success
	sentAt  time.Time
	used    bool
}

// ProbeController decides when to probe and at what rate: twice at start
// (3× and 6× the first estimate), then whenever the allocator wants more
// than the estimate (at 1.25 × the want, at most MaxFactor × the estimate),
// one cluster at a time, backing off while probes fail. It is not safe for
// concurrent use.
type ProbeController struct {
	o           ProbeOptions
	lastID      int
	started     int // start probes issued
	startRate   int
	flight      [maxInFlight]inflight
	nextAllowed time.Time
	backoff     time.Duration
}

// NewProbeController returns a controller that has not probed yet.
func NewProbeController(o ProbeOptions) *ProbeController {
	o = o.withDefaults()
	return &ProbeController{o: o, backoff: o.Backoff}
}

// Next returns the probe to send now, if any. estimate is the estimator's
// current estimate and wanted the allocator's probe target (0 if nothing
// is blocked), both in bit/s. Call it whenever the pacer could start a
// cluster; it returns each probe once.
func (p *ProbeController) Next(now time.Time, estimate, wanted int) (probe Probe, ok bool) {
	for i := range p.flight {
		if f := &p.flight[i]; f.used && now.Sub(f.sentAt) > p.o.Timeout {
			f.used = false
			p.fail(now)
		}
	}
	if p.started < len(startFactors) {
		if p.started == 0 {
			p.startRate = max(estimate, 1)
		}
		rate := min(p.startRate*startFactors[p.started], p.o.MaxBitrate)
		p.started++
		if rate > estimate {
			return p.issue(now, rate, rate), true
		}
	}
	for _, f := range p.flight {
		if f.used {
			return Probe{}, false
		}
	}
	if wanted <= estimate || now.Before(p.nextAllowed) {
		return Probe{}, false
	}
	rate := min(float64(wanted)*probeOvershoot, p.o.MaxFactor*float64(estimate), float64(p.o.MaxBitrate))
	if rate <= float64(estimate) {
		return Probe{}, false
	}
	return p.issue(now, int(rate), min(wanted, int(rate))), true
}

// issue builds a probe and remembers it as in flight.
func (p *ProbeController) issue(now time.Time, rate, goal int) Probe {
	p.lastID++
	bytes := max(int(math.Ceil(float64(rate)*p.o.Duration.Seconds()/8)), p.o.MinPackets*p.o.PacketSize)
	packets := max(p.o.MinPackets, (bytes+p.o.PacketSize-1)/p.o.PacketSize)
	slot := 0
	for i, f := range p.flight {
		if !f.used {
			slot = i
			break
		}
		if f.sentAt.Before(p.flight[slot].sentAt) {
			slot = i
		}
	}
	p.flight[slot] = inflight{cluster: p.lastID, goal: goal, sentAt: now, used: true}
	return Probe{Cluster: p.lastID, Bitrate: rate, Packets: packets, Bytes: bytes}
}

// OnProbeResult takes the delivered rate the estimator measured for a
// cluster (0 if it could not be measured). A result reaching 90 % of the
// probe's goal lets the next probe follow after MinInterval; a shortfall
// backs off. Results for unknown clusters are ignored.
func (p *ProbeController) OnProbeResult(cluster int, deliveredBitrate int, now time.Time) {
	for i := range p.flight {
		f := &p.flight[i]
		if !f.used || f.cluster != cluster {
			continue
		}
		f.used = false
		if float64(deliveredBitrate) >= probeSuccess*float64(f.goal) {
			p.backoff = p.o.Backoff
			p.nextAllowed = now.Add(p.o.MinInterval)
		} else {
			p.fail(now)
		}
		return
	}
}

// fail schedules the next probe after the current back-off and doubles it.
func (p *ProbeController) fail(now time.Time) {
	p.nextAllowed = now.Add(p.backoff)
	p.backoff = min(2*p.backoff, p.o.MaxBackoff)
}

package room

import (
	"time"

	"github.com/pion/interceptor"
	"go.uber.org/zap"

	"github.com/switchyard-sfu/switchyard/pkg/bwe"
	"github.com/switchyard-sfu/switchyard/pkg/cc"
	"github.com/switchyard-sfu/switchyard/pkg/forwarder"
)

// probeWarmup is how long a video slot must have been the connection's
// probe slot before probes are sent on it: it needs forwarded packets to
// re-send (a switch waits for a keyframe first).
const probeWarmup = 500 * time.Millisecond

// probeMaxFactor bounds a probe for an upgrade to this multiple of the
// estimate (bwe's default is 4): a receiver held on a low layer by a
// bottleneck wants the top layer, and probing for it at four times the
// estimate builds a queue the delay detector reads as overuse.
const probeMaxFactor = 2

// CongestionOptions configure per-connection congestion control (see
// pkg/cc and pkg/bwe). The zero value enables it with the defaults.
type CongestionOptions struct {
	// Disabled turns congestion control off: no estimation, and slots are
	// allocated from the receiver's caps alone.
	Disabled bool
	// Estimator and Probe tune the estimator and the probe controller.
	Estimator bwe.EstimatorOptions
	Probe     bwe.ProbeOptions
	// PacingFactor > 0 paces each connection's video at this multiple of
	// the estimate (cc.DefaultPacingFactor is 2.5); 0 or negative: no
	// pacing, the default: on the emulated bottleneck paced runs gained
	// nothing (bench/results/rmcat/RUNS.md). PacerQueue bounds the video
	// packets waiting per connection (0: cc.DefaultPacerQueue).
	PacingFactor float64
	PacerQueue   int
	// RetransmitShare bounds each connection's retransmissions to this
	// share of its estimate (0: cc.DefaultRetransmitShare; negative: no
	// bound).
	RetransmitShare float64
}

// CongestionStats is one connection's congestion control state. Rates are
// bit/s.
type CongestionStats struct {
	Estimate   int // what the allocator spends: delay, loss, REMB and caps combined
	DelayBased int
	LossBound  int // 0 when loss does not bind
	REMB       int // 0 when no REMB bounds the estimate
	Acked      int // throughput the receiver acknowledged
	Sent       int // what the node sent (media, retransmissions, probes)
	Allocated  int // what the allocator gave the live slots
	Wanted     int // the allocator's probe target, 0 when nothing is blocked
	RTT        time.Duration
	Loss       float64 // fraction lost in the last loss window
	Usage      string  // delay detector state: normal, overuse, underuse
	// PausedSlots counts video slots bandwidth disabled.
	PausedSlots int
	// Feedback counts transport-cc messages applied.
	Feedback uint64
	// Probes counts probe clusters sent, ProbesConfirmed those whose rate
	// the estimator took; LastProbe is the last measured cluster's rate.
	Probes, ProbesConfirmed, ProbesFailed uint64
	LastProbe                             int
	// RetransmitsDenied counts retransmissions the budget refused.
	RetransmitsDenied uint64
}

// newController returns a congestion controller for a new connection and
// the interceptor factories that install it, or nil when disabled.
func (r *Room) newController() (*cc.Controller, []interceptor.Factory) {
	o := r.m.o.Congestion
	if o.Disabled {
		return nil, nil
	}
	if o.Probe.MaxFactor == 0 {
		o.Probe.MaxFactor = probeMaxFactor
	}
	pacing := o.PacingFactor
	if pacing <= 0 {
		pacing = -1 // cc: no pacer
	}
	ctl := cc.New(cc.Options{Estimator: o.Estimator, Probe: o.Probe, Logger: r.log,
		PacingFactor: pacing, PacerQueue: o.PacerQueue, RetransmitShare: o.RetransmitShare})
	return ctl, []interceptor.Factory{ctl}
}

// startCongestion connects the controller's prober to the connection's
// probe slot and registers it for metrics.
func (c *Connection) startCongestion() {
	if c.cc == nil {
		return
	}
	c.cc.SetProbeSender(func() (int, bool) {
		p := c.probeVia.Load()
		if p == nil {
			return 0, false
		}
		return p.Send()
	})
	c.room.m.cc.add(c)
}

// stopCongestion stops the controller's prober; the connection's
// counters are kept in the node totals.
func (c *Connection) stopCongestion() {
	if c.cc == nil {
		return
	}
	c.probeVia.Store(nil)
	c.cc.Close()
	c.room.m.cc.remove(c)
}

// estimate is the bandwidth estimate the allocator spends, 0 without
// congestion control.
func (c *Connection) estimate() int {
	if c.cc == nil {
		return 0
	}
	return c.cc.Estimate()
}

// currentLayers maps each video slot to the layer the allocator gave it
// last time. The hysteresis works on the allocation, not on the layer
// forwarded: the selector switches up only after its hold, and an
// allocation that flipped meanwhile (a budget near a threshold) would keep
// restarting that hold.
func (c *Connection) currentLayers() map[string]int {
	out := make(map[string]int, len(c.slots))
	for _, s := range c.slots {
		if s.kind == KindVideo && s.allocated >= 0 {
			out[s.mid] = s.allocated
		}
	}
	return out
}

// afterAllocation publishes the probe DownTrack (the highest-priority
// candidate, the first of equals: a video slot or subscription forwarding
// something) and lets the controller probe for what the allocator wants.
// Both subscribe modes call it on the actor after applying an allocation.
func (c *Connection) afterAllocation(a allocation, cands []probeCandidate) {
	c.ccPaused.Store(int32(a.paused))
	if c.cc == nil {
		return
	}
	var via *probeCandidate
	for i := range cands {
		if via == nil || cands[i].priority > via.priority {
			via = &cands[i]
		}
	}
	now := c.room.m.o.Now()
	var prober *forwarder.Prober
	if via != nil {
		prober = via.prober
	}
	if old := c.probeVia.Load(); old != prober {
		c.probeVia.Store(prober)
		c.probeSince = now
		if prober != nil {
			c.log.Debug("probe via", zap.String("track", via.name))
		}
	}
	canProbe := prober != nil && now.Sub(c.probeSince) >= probeWarmup
	c.cc.Tick(a.caps, a.allocated, a.wanted, canProbe)
}

// congestionStats snapshots the connection's controller; nil without one.
func (c *Connection) congestionStats() *CongestionStats {
	if c.cc == nil {
		return nil
	}
	st := c.cc.Stats()
	return &CongestionStats{
		Estimate:          st.Estimate,
		DelayBased:        st.DelayBased,
		LossBound:         st.LossBound,
		REMB:              st.REMB,
		Acked:             st.Acked,
		Sent:              st.SentBitrate,
		Allocated:         st.Allocated,
		Wanted:            st.Wanted,
		RTT:               st.RTT,
		Loss:              st.LossFraction,
		Usage:             st.Usage,
		PausedSlots:       int(c.ccPaused.Load()),
		Feedback:          st.Feedback,
		Probes:            st.Probes,
		ProbesConfirmed:   st.Confirmed,
		ProbesFailed:      st.Failed,
		RetransmitsDenied: st.RetransmitsDenied,
		LastProbe:         st.LastProbe.Bitrate,
	}
}

// retransmits is what bounds the connection's retransmissions: its
// controller, or nil (unbounded) without one.
func (c *Connection) retransmits() forwarder.RetransmitLimiter {
	if c.cc == nil {
		return nil
	}
	return c.cc
}

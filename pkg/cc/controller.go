package cc

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"go.uber.org/zap"

	"github.com/switchyard-sfu/switchyard/pkg/bwe"
)

// Options configure a [Controller]. Zero fields take defaults.
type Options struct {
	// Estimator configures the estimator; a zero HistorySize is the
	// controller's sent-packet ring size, since the estimator only needs
	// the packets the ring hands it until their feedback arrives.
	Estimator bwe.EstimatorOptions
	Probe     bwe.ProbeOptions
	// Now is the clock for send times, feedback and probes (default
	// time.Now).
	Now    func() time.Time
	Logger *zap.Logger
	// PacingFactor: video leaves at this multiple of the estimate
	// (0: DefaultPacingFactor; negative: no pacing).
	PacingFactor float64
	// PacerQueue bounds the video packets waiting (0: DefaultPacerQueue).
	PacerQueue int
	// RetransmitShare bounds retransmissions to this share of the estimate
	// (0: DefaultRetransmitShare; negative: unbounded). See
	// [Controller.AllowRetransmit].
	RetransmitShare float64
}

// fbKey identifies a transport-cc message: pion's SRTCP session hands a
// compound packet to every stream it names, so one message can reach
// several readers.
type fbKey struct {
	sender uint32
	count  uint8
	base   uint16
}

// Controller is the congestion controller of one receiving connection. See
// the package documentation.
type Controller struct {
	now  func() time.Time
	base time.Time
	log  *zap.Logger

	// Written by packet writers without a lock.
	sent        sentLog
	cluster     atomic.Int32 // probe cluster in progress, 0: none
	sentBytes   atomic.Uint64
	sentPackets atomic.Uint64
	// estimate is the last estimate (bit/s), for readers without the lock.
	estimate atomic.Int64

	// mu guards everything below: held by the connection's RTCP readers
	// per feedback message and by the room's actor per tick.
	mu        sync.Mutex
	est       *bwe.Estimator
	probes    *bwe.ProbeController
	results   []bwe.PacketResult
	next      uint16 // next transport sequence number to drain
	drained   bool
	recent    [4]fbKey
	recentN   int
	counters  Counters
	probeLast ProbeResultStats
	allocated int
	wanted    int
	rateAt    time.Time
	rateBytes uint64
	sentRate  int

	prober *prober
	pacer  *pacer // nil without pacing
	rtx    retransmitBudget
}

// Counters count what the controller has processed.
type Counters struct {
	Feedback     uint64 // transport-cc messages applied
	Duplicates   uint64 // transport-cc messages seen again (ignored)
	BadFeedback  uint64 // malformed transport-cc messages (ignored)
	REMBMessages uint64 // REMB messages applied
	Probes       uint64 // probe clusters started
	Confirmed    uint64 // probe clusters whose rate the estimator took
	Failed       uint64 // probe clusters that measured nothing or fell short
	// Retransmitted is the bytes of retransmissions the budget allowed,
	// RetransmitsDenied the retransmissions it refused.
	Retransmitted     uint64
	RetransmitsDenied uint64
}

// ProbeResultStats is the last probe result.
type ProbeResultStats struct {
	Cluster   int
	Bitrate   int // bit/s delivered, 0 if not measurable
	Confirmed bool
}

// Stats is a snapshot of a Controller.
type Stats struct {
	bwe.EstimatorStats
	// SentBitrate is what the node sent to the connection (media,
	// retransmissions and probes), bit/s, measured between Tick calls.
	SentBitrate int
	// Allocated is what the allocator spent of the estimate, bit/s.
	Allocated int
	// Wanted is the allocator's probe target, bit/s (0: nothing blocked).
	Wanted    int
	LastProbe ProbeResultStats
	Counters
}

// New returns a controller at o.Estimator.StartBitrate.
func New(o Options) *Controller {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Estimator.HistorySize == 0 {
		o.Estimator.HistorySize = sentLogSize
	}
	c := &Controller{
		now:     o.Now,
		log:     o.Logger,
		est:     bwe.NewEstimator(o.Estimator),
		probes:  bwe.NewProbeController(o.Probe),
		results: make([]bwe.PacketResult, 0, 256),
	}
	c.base = c.now()
	c.rateAt = c.base
	if o.PacingFactor == 0 {
		o.PacingFactor = DefaultPacingFactor
	}
	if o.PacingFactor > 0 {
		c.pacer = newPacer(c, o.PacingFactor, o.PacerQueue)
	}
	switch {
	case o.RetransmitShare == 0:
		c.rtx.share = DefaultRetransmitShare
	case o.RetransmitShare > 0:
		c.rtx.share = o.RetransmitShare
	}
	c.publish(c.est.Estimate())
	c.prober = newProber(c)
	return c
}

// publish makes estimate (bit/s) the one the allocator reads and the
// pacer paces at.
func (c *Controller) publish(estimate int) {
	c.estimate.Store(int64(estimate))
	if c.pacer != nil {
		c.pacer.setEstimate(estimate)
	}
}

// record notes one packet sent with transport sequence number seq. Called
// by the packet writers; lock-free and allocation-free.
func (c *Controller) record(seq uint16, size int) {
	cl := c.cluster.Load()
	c.sent.put(seq, size, int64(c.now().Sub(c.base)), cl != 0, cl)
	c.sentBytes.Add(uint64(size))
	c.sentPackets.Add(1)
}

// Estimate returns the last estimate in bit/s without taking the lock.
func (c *Controller) Estimate() int { return int(c.estimate.Load()) }

// onRTCP applies the congestion-control messages of a compound packet.
func (c *Controller) onRTCP(pkts []rtcp.Packet) {
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.TransportLayerCC:
			c.onTWCC(p)
		case *rtcp.ReceiverEstimatedMaximumBitrate:
			c.onREMB(p)
		}
	}
}

func (c *Controller) onTWCC(fb *rtcp.TransportLayerCC) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	key := fbKey{sender: fb.SenderSSRC, count: fb.FbPktCount, base: fb.BaseSequenceNumber}
	for i := range min(c.recentN, len(c.recent)) {
		if c.recent[i] == key {
			c.counters.Duplicates++
			return
		}
	}
	c.recent[c.recentN%len(c.recent)] = key
	c.recentN++
	var err error
	c.results, err = parseTWCC(c.results[:0], fb)
	if err != nil {
		c.counters.BadFeedback++
		c.log.Debug("transport-cc feedback ignored", zap.Error(err))
		return
	}
	if len(c.results) == 0 {
		return
	}
	c.drain(c.results[len(c.results)-1].TransportSeq)
	c.est.OnFeedback(c.results, now)
	c.counters.Feedback++
	for r, ok := c.est.PopProbeResult(); ok; r, ok = c.est.PopProbeResult() {
		c.probes.OnProbeResult(r.Cluster, r.Bitrate, now)
		c.probeLast = ProbeResultStats(r)
		if r.Confirmed {
			c.counters.Confirmed++
		} else {
			c.counters.Failed++
		}
	}
	c.publish(c.est.Estimate())
}

// drain hands the estimator every recorded packet up to upTo that it has
// not seen. c.mu held.
func (c *Controller) drain(upTo uint16) {
	if !c.drained {
		c.next, c.drained = c.results[0].TransportSeq, true
	}
	if int16(upTo-c.next) < 0 {
		return // reported before
	}
	n := int(upTo-c.next) + 1
	if n > sentLogSize {
		c.next = upTo - sentLogSize + 1
		n = sentLogSize
	}
	for i := range n {
		p, ok := c.sent.get(c.next + uint16(i))
		if !ok {
			continue
		}
		c.est.OnPacketSent(bwe.PacketSent{
			TransportSeq: p.seq,
			Size:         p.size,
			SentAt:       c.base.Add(time.Duration(p.sendNs)),
			Probe:        p.probe,
			ProbeCluster: int(p.cluster),
		})
	}
	c.next = upTo + 1
}

func (c *Controller) onREMB(p *rtcp.ReceiverEstimatedMaximumBitrate) {
	if !(p.Bitrate > 0) {
		return
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.est.OnREMB(int(min(p.Bitrate, 1<<40)), now)
	c.counters.REMBMessages++
	c.publish(c.est.Estimate())
}

// Tick is called by the room's actor after each allocation: caps bounds
// the estimate (bit/s, 0: none), allocated is what the allocator spent and
// wanted its probe target (0: nothing blocked). When canProbe is set (there
// is media to probe with) it starts a probe cluster if the probe
// controller asks for one. It returns the estimate.
func (c *Controller) Tick(caps, allocated, wanted int, canProbe bool) int {
	now := c.now()
	c.mu.Lock()
	c.est.SetCaps(caps)
	c.allocated, c.wanted = allocated, wanted
	if dt := now.Sub(c.rateAt); dt >= 100*time.Millisecond {
		b := c.sentBytes.Load()
		c.sentRate = int(float64(b-c.rateBytes) * 8 / dt.Seconds())
		c.rateAt, c.rateBytes = now, b
	}
	estimate := c.est.Estimate()
	var probe bwe.Probe
	ok := false
	if canProbe {
		probe, ok = c.probes.Next(now, estimate, wanted)
	}
	if ok {
		c.counters.Probes++
	}
	c.publish(estimate)
	c.mu.Unlock()
	if ok {
		c.prober.start(probe)
	}
	return estimate
}

// Stats returns a snapshot.
func (c *Controller) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	counters := c.counters
	counters.RetransmitsDenied, counters.Retransmitted = c.rtx.counters()
	return Stats{
		EstimatorStats: c.est.Stats(),
		SentBitrate:    c.sentRate,
		Allocated:      c.allocated,
		Wanted:         c.wanted,
		LastProbe:      c.probeLast,
		Counters:       counters,
	}
}

// SentBytes is the total of bytes recorded as sent.
func (c *Controller) SentBytes() uint64 { return c.sentBytes.Load() }

package bwe

import (
	"slices"
	"time"
)

// Estimator constants.
const (
	appLimitHeadroom = 10_000 // bit/s added to the application limit
	twccTimeout      = int64(5 * time.Second)
	rembTimeout      = int64(5 * time.Second)
	scratchStart     = 256
)

// PacketSent describes one packet sent to the connection, stamped with a
// transport-wide sequence number.
type PacketSent struct {
	TransportSeq uint16
	Size         int // bytes on the wire (RTP header and payload)
	SentAt       time.Time
	// Probe marks a packet sent while a probe cluster was active (media or
	// padding): the pacer tags every packet of the cluster with its id.
	Probe        bool
	ProbeCluster int
}

// PacketResult is the receiver's report on one packet (transport-cc).
type PacketResult struct {
	TransportSeq uint16
	Received     bool
	// ArrivedAt is on the receiver's clock: only differences matter.
	ArrivedAt time.Time
}

// received is a reported packet joined with its send record.
type received struct {
	sendNs, arrNs, seq int64
	size               int
	cluster            int32
	probe              bool
}

// Estimator is the send-side bandwidth estimator of one receiving
// connection. See the package documentation for the algorithm. It is not
// safe for concurrent use.
type Estimator struct {
	opts EstimatorOptions

	base, arrBase         time.Time // sender and receiver time bases
	haveBase, haveArrBase bool

	hist  sendHistory
	acked rateWindow
	// recent is the acknowledged rate over recentWindow, for overuse cuts
	// (see aimd.recent).
	recent  rateWindow
	ia      interArrival
	trend   trendline
	hyp     usage
	rc      aimd
	loss    lossBound
	probes  probeTracker
	scratch []received

	rtt                 int64 // smoothed, ns
	caps                int
	remb                int
	rembAt, lastTWCC    int64
	haveREMB, haveTWCC  bool
	proven, provenUntil int64 // a confirmed probe's rate lifts the growth limit until then
	overLimitSince      int64 // since when the rate is above the application limit
	overLimit           bool
	lastFeedback        int64
	overuseAt           int64
	overused            bool
}

// NewEstimator returns an estimator at o.StartBitrate. Out-of-range options
// are clamped (see [EstimatorOptions.Validate]).
func NewEstimator(o EstimatorOptions) *Estimator {
	o = o.normalized()
	e := &Estimator{
		opts:    o,
		hist:    newSendHistory(o.HistorySize),
		acked:   newRateWindow(o.AckedWindow),
		recent:  newRateWindow(recentWindow),
		trend:   newTrendline(),
		scratch: make([]received, 0, scratchStart),
		rtt:     int64(200 * time.Millisecond),
	}
	e.rc.rate = o.StartBitrate
	return e
}

// ns converts a sender-clock time to ns since the estimator's time base.
func (e *Estimator) ns(t time.Time) int64 {
	if !e.haveBase {
		e.base, e.haveBase = t, true
	}
	return int64(t.Sub(e.base))
}

// arrNs converts a receiver-clock time to ns since the receiver time base.
func (e *Estimator) arrNs(t time.Time) int64 {
	if !e.haveArrBase {
		e.arrBase, e.haveArrBase = t, true
	}
	return int64(t.Sub(e.arrBase))
}

// OnPacketSent records a sent packet. It does not allocate.
func (e *Estimator) OnPacketSent(p PacketSent) {
	sendNs := e.ns(p.SentAt)
	u, ok := e.hist.add(p.TransportSeq, sendNs, p.Size, p.Probe, p.ProbeCluster)
	if ok && p.Probe {
		e.probes.onSent(int32(p.ProbeCluster), u, sendNs, p.Size)
	}
}

// OnFeedback processes one transport-cc feedback message received at now.
// Results for packets not in the history (never sent, too old, already
// reported received) are ignored. results is not retained or modified.
func (e *Estimator) OnFeedback(results []PacketResult, now time.Time) {
	nowNs := e.ns(now)
	e.lastTWCC, e.haveTWCC = nowNs, true
	if e.haveREMB && nowNs-e.rembAt > rembTimeout {
		e.haveREMB = false // a stale REMB no longer bounds us
	}
	prev := e.Estimate()
	lost, expected := e.collect(results)
	if !slices.IsSortedFunc(e.scratch, byArrival) {
		slices.SortStableFunc(e.scratch, byArrival)
	}
	newestSend := int64(-1 << 62)
	for i := range e.scratch {
		r := &e.scratch[i]
		e.acked.add(r.arrNs, r.size)
		e.recent.add(r.arrNs, r.size)
		resets := e.ia.resets
		if d, ok := e.ia.push(r.sendNs, r.arrNs, nowNs, r.size); ok {
			e.hyp = e.trend.update(d)
		} else if e.ia.resets != resets {
			e.trend.reset() // clock jump or reordering: start over
			e.hyp = usageNormal
		}
		if r.probe {
			e.probes.onReport(r.cluster, r.seq, true, r.arrNs, r.size)
		}
		newestSend = max(newestSend, r.sendNs)
	}
	if e.hyp == usageOver {
		e.overuseAt, e.overused = nowNs, true
	}
	if len(e.scratch) > 0 {
		e.updateRTT(nowNs - newestSend)
		acked := e.acked.rate()
		e.rc.recent = e.recent.rate()
		e.rc.update(e.hyp, acked, e.appLimit(acked, nowNs), e.rtt, nowNs)
	}
	e.probes.finish(e.hist.highest, nowNs, e.overuseAt, e.overused, func(rate int) {
		e.rc.rate = max(e.rc.rate, rate)
		e.proven, e.provenUntil = int64(rate), nowNs+int64(e.opts.AppLimitedHold)
		e.overLimitSince, e.overLimit = nowNs, true // the probe restarts the hold
		e.loss.lift(rate)
	})
	e.decayAboveLimit(nowNs)
	e.loss.add(lost, expected, nowNs)
	e.loss.evaluate(prev, e.rc.rate, e.rtt, nowNs)
	e.clamp()
}

func byArrival(a, b received) int {
	switch {
	case a.arrNs < b.arrNs:
		return -1
	case a.arrNs > b.arrNs:
		return 1
	}
	return 0
}

// collect joins results with the send history into e.scratch (received
// packets only, at most the history size) and counts losses.
func (e *Estimator) collect(results []PacketResult) (lost, expected int) {
	e.scratch = e.scratch[:0]
	for _, r := range results {
		p, u, ok := e.hist.lookup(r.TransportSeq)
		if !ok || p.flags&sentAcked != 0 {
			continue
		}
		if !r.Received {
			if p.flags&sentLost == 0 {
				p.flags |= sentLost
				lost++
				expected++
				if p.flags&sentProbe != 0 {
					e.probes.onReport(p.cluster, u, false, 0, 0)
				}
			}
			continue
		}
		if p.flags&sentLost != 0 {
			lost-- // reported lost before, arrived late after all
		} else {
			expected++
		}
		p.flags |= sentAcked
		if len(e.scratch) == len(e.hist.ring) {
			continue
		}
		e.scratch = append(e.scratch, received{
			sendNs:  p.sendNs,
			arrNs:   e.arrNs(r.ArrivedAt),
			seq:     u,
			size:    int(p.size),
			cluster: p.cluster,
			probe:   p.flags&sentProbe != 0,
		})
	}
	return lost, expected
}

// updateRTT folds in a sample: feedback time minus the send time of the
// newest packet it reports (so it includes the feedback interval).
func (e *Estimator) updateRTT(sample int64) {
	if sample <= 0 || sample > int64(10*time.Second) {
		return
	}
	e.rtt = (7*e.rtt + sample) / 8
}

// Estimate returns the available bandwidth in bit/s, within
// [MinBitrate, MaxBitrate] and the caps.
func (e *Estimator) Estimate() int {
	r := e.rc.rate
	if e.loss.bound > 0 {
		r = min(r, e.loss.bound)
	}
	if e.haveREMB {
		r = min(r, e.remb)
	}
	return min(max(r, e.opts.MinBitrate), e.maxRate())
}

// AckedBitrate returns the measured throughput of acknowledged packets in
// bit/s over the last AckedWindow of arrival time, or 0 until a full window
// has been seen.
func (e *Estimator) AckedBitrate() int { return e.acked.rate() }

// PopProbeResult returns the oldest unread probe result. Call it after
// OnFeedback until ok is false, and hand each result to
// [ProbeController.OnProbeResult].
func (e *Estimator) PopProbeResult() (r ProbeResult, ok bool) { return e.probes.pop() }

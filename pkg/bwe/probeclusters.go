package bwe

import "time"

// Probe measurement constants (libwebrtc's ProbeBitrateEstimator).
const (
	maxClusters        = 8                             // tracked at once; the oldest is evicted
	probeMinReceived   = 3                             // packets needed for a rate
	probeMinRatio      = 0.8                           // received/sent needed
	probeMaxRatio      = 2.0                           // receive rate above this × send rate: bad timing
	probeSaturated     = 0.9                           // receive rate below this × send rate: link saturated
	probeTargetUse     = 0.95                          // aim this far under a saturated rate
	probeSettle        = int64(100 * time.Millisecond) // a cluster not followed by any packet is over after this
	probeClusterExpiry = int64(2 * time.Second)        // measurement abandoned after this
	// probeArrivals is how many arrivals a cluster keeps for its
	// later-half receive rate; a cluster with more packets is measured
	// over the first probeArrivals only for that part.
	probeArrivals = 64
)

// ProbeResult is the outcome of one probe cluster, measured from feedback.
type ProbeResult struct {
	Cluster int
	// Bitrate is the rate the path delivered the cluster at, bit/s; 0 if
	// the cluster could not be measured (too many losses, bad timing).
	Bitrate int
	// Confirmed is true if no overuse was seen while the cluster was in
	// flight: the estimator then raised its estimate to Bitrate.
	Confirmed bool
}

// cluster accumulates one probe cluster's send and receive statistics.
type cluster struct {
	id                      int32
	used                    bool
	sent, recv, lost        int
	sentBytes, recvBytes    int64
	firstSendNs, lastSendNs int64
	lastSentSize            int64
	firstSeq, lastSeq       int64
	firstArrNs, lastArrNs   int64
	firstArrSize            int64
	highestReported         int64
	// arrivals of the first probeArrivals packets received, in report
	// order (arrival order on a FIFO path), for the later-half rate.
	arr  [probeArrivals]arrival
	narr int
}

type arrival struct {
	ns   int64
	size int64
}

// probeTracker measures probe clusters. Its memory is fixed.
type probeTracker struct {
	clusters [maxClusters]cluster
	results  [maxClusters]ProbeResult
	head, n  int // results queue
	// done holds the ids of the clusters measured last: a packet of one of
	// them sent after its result (a cluster closed by a newer packet
	// overtaking it, or a late send) must not open a new cluster that
	// would be measured from a handful of packets.
	done            [2 * maxClusters]int32
	doneNext, doneN int
}

func (t *probeTracker) finished(id int32) bool {
	for _, d := range t.done[:t.doneN] {
		if d == id {
			return true
		}
	}
	return false
}

func (t *probeTracker) find(id int32) *cluster {
	for i := range t.clusters {
		if c := &t.clusters[i]; c.used && c.id == id {
			return c
		}
	}
	return nil
}

// onSent records a probe packet.
func (t *probeTracker) onSent(id int32, seq, sendNs int64, size int) {
	c := t.find(id)
	if c == nil {
		if t.finished(id) {
			return
		}
		c = &t.clusters[0]
		for i := range t.clusters {
			if o := &t.clusters[i]; !o.used {
				c = o
				break
			} else if o.firstSendNs < c.firstSendNs {
				c = o
			}
		}
		*c = cluster{id: id, used: true, firstSendNs: sendNs, firstSeq: seq, lastSeq: seq, highestReported: -1}
	}
	c.sent++
	c.sentBytes += int64(size)
	c.firstSendNs = min(c.firstSendNs, sendNs)
	if sendNs >= c.lastSendNs {
		c.lastSendNs, c.lastSentSize = sendNs, int64(size)
	}
	c.firstSeq = min(c.firstSeq, seq)
	c.lastSeq = max(c.lastSeq, seq)
}

// onReport records feedback for a probe packet.
func (t *probeTracker) onReport(id int32, seq int64, received bool, arrNs int64, size int) {
	c := t.find(id)
	if c == nil {
		return
	}
	c.highestReported = max(c.highestReported, seq)
	if !received {
		c.lost++
		return
	}
	if c.recv == 0 || arrNs < c.firstArrNs {
		c.firstArrNs, c.firstArrSize = arrNs, int64(size)
	}
	if c.recv == 0 || arrNs > c.lastArrNs {
		c.lastArrNs = arrNs
	}
	c.recv++
	c.recvBytes += int64(size)
	if c.narr < len(c.arr) {
		c.arr[c.narr] = arrival{arrNs, int64(size)}
		c.narr++
	}
}

// finish closes the clusters whose feedback is complete. highestSent is the
// newest sequence number sent, overuseAt the last time (sender ns) the
// detector reported overuse, overused whether it ever did. It calls jump
// for each confirmed rate.
func (t *probeTracker) finish(highestSent, now, overuseAt int64, overused bool, jump func(int)) {
	for i := range t.clusters {
		c := &t.clusters[i]
		if !c.used {
			continue
		}
		if now-c.firstSendNs > probeClusterExpiry {
			c.used = false
			continue
		}
		over := highestSent > c.lastSeq || now-c.lastSendNs >= probeSettle
		reported := c.recv+c.lost >= c.sent || c.highestReported > c.lastSeq
		if !over || !reported || c.highestReported < 0 {
			continue
		}
		r := ProbeResult{Cluster: int(c.id), Bitrate: c.rate()}
		if r.Bitrate > 0 && !(overused && overuseAt >= c.firstSendNs) {
			r.Confirmed = true
			jump(r.Bitrate)
		}
		c.used = false
		t.done[t.doneNext] = c.id
		t.doneNext = (t.doneNext + 1) % len(t.done)
		t.doneN = min(t.doneN+1, len(t.done))
		t.push(r)
	}
}

// rate is the delivered rate, or 0 if the cluster cannot be measured.
func (c *cluster) rate() int {
	if c.recv < probeMinReceived || float64(c.recv) < probeMinRatio*float64(c.sent) {
		return 0
	}
	sendSpan := c.lastSendNs - c.firstSendNs
	arrSpan := c.lastArrNs - c.firstArrNs
	if sendSpan <= 0 || arrSpan <= 0 {
		return 0
	}
	// Bytes over an interval: leave out the packet that opens it (receive)
	// or closes it (send), as it is not "inside" the interval.
	sendRate := float64(c.sentBytes-c.lastSentSize) * 8 * 1e9 / float64(sendSpan)
	recvRate := float64(c.recvBytes-c.firstArrSize) * 8 * 1e9 / float64(arrSpan)
	if late, ok := c.lateRecvRate(); ok {
		recvRate = min(recvRate, late)
	}
	switch {
	case recvRate > probeMaxRatio*sendRate:
		return 0
	case recvRate < probeSaturated*sendRate:
		return int(min(probeTargetUse*recvRate, 1<<40))
	default:
		return int(min(sendRate, recvRate, 1<<40))
	}
}

// lateRecvRate is the receive rate over the later half of the cluster's
// bytes, in arrival order. A bottleneck that lets a burst through at once
// (a token bucket's depth, a radio's aggregation) delivers the start of a
// cluster faster than its rate, and a receiver that reads in bunches
// stamps the first packets late: both shorten the receive span of the
// whole cluster and inflate its rate by the burst's share of the cluster.
// Once the burst is through, a saturated path delivers at its rate, so
// the later half measures it. ok is false when the later half is too
// small or too short to measure, or the arrivals are not all kept.
func (c *cluster) lateRecvRate() (bps float64, ok bool) {
	if c.narr < c.recv || c.narr < 2*probeMinReceived {
		return 0, false
	}
	a := c.arr[:c.narr]
	// Reports come in sequence order; arrivals may be reordered.
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j].ns < a[j-1].ns; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
	var cum int64
	m := 0
	for m < len(a)-1 && 2*(cum+a[m].size) <= c.recvBytes {
		cum += a[m].size
		m++
	}
	// a[m] opens the later half; its bytes are not inside the interval.
	if len(a)-1-m < probeMinReceived-1 {
		return 0, false
	}
	span := a[len(a)-1].ns - a[m].ns
	if span <= 0 {
		return 0, false
	}
	return float64(c.recvBytes-cum-a[m].size) * 8 * 1e9 / float64(span), true
}

func (t *probeTracker) push(r ProbeResult) {
	if t.n == len(t.results) {
		t.head = (t.head + 1) % len(t.results)
		t.n--
	}
	t.results[(t.head+t.n)%len(t.results)] = r
	t.n++
}

func (t *probeTracker) pop() (ProbeResult, bool) {
	if t.n == 0 {
		return ProbeResult{}, false
	}
	r := t.results[t.head]
	t.head = (t.head + 1) % len(t.results)
	t.n--
	return r, true
}

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
}

// probeTracker measures probe clusters. Its memory is fixed.
type probeTracker struct {
	clusters [maxClusters]cluster
	results  [maxClusters]ProbeResult
	head, n  int // results queue
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
	switch {
	case recvRate > probeMaxRatio*sendRate:
		return 0
	case recvRate < probeSaturated*sendRate:
		return int(min(probeTargetUse*recvRate, 1<<40))
	default:
		return int(min(sendRate, recvRate, 1<<40))
	}
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

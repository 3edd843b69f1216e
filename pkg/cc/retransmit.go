package cc

import (
	"sync"
	"time"
)

const (
	// DefaultRetransmitShare is the share of the estimate retransmissions
	// may use on top of the media the allocator spends it on. A link with
	// 15 % random loss needs about 0.18 (lost retransmissions are asked for
	// again); a link that has just lost capacity loses far more, and
	// answering every NACK at once would deepen the congestion that caused
	// the loss.
	DefaultRetransmitShare = 0.25
	// retransmitWindow is the span the share is averaged over: the bucket
	// holds this much of the allowed rate, so a burst of NACKs after a
	// short outage is answered at once when the rate allows it.
	retransmitWindow = 500 * time.Millisecond
	// minRetransmitBurst lets at least two full-size packets through after
	// an idle spell, however low the estimate.
	minRetransmitBurst = 2 * 1500
)

// retransmitBudget is a token bucket of bytes refilled at share × the
// estimate. It is taken by the RTCP goroutines of the connection's
// DownTracks once per NACKed packet, never on the forwarding path.
type retransmitBudget struct {
	share float64 // 0: unlimited

	mu     sync.Mutex
	tokens float64 // bytes
	at     time.Time
	denied uint64
	bytes  uint64
}

// allow takes size bytes if the budget has them at rate estimate (bit/s).
func (b *retransmitBudget) allow(size, estimate int, now time.Time) bool {
	if b.share <= 0 || estimate <= 0 {
		return true
	}
	rate := b.share * float64(estimate) / 8 // bytes per second
	depth := max(rate*retransmitWindow.Seconds(), minRetransmitBurst)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.at.IsZero() {
		b.tokens = depth
	} else if dt := now.Sub(b.at); dt > 0 {
		b.tokens = min(b.tokens+rate*dt.Seconds(), depth)
	}
	b.at = now
	if b.tokens < float64(size) {
		b.denied++
		return false
	}
	b.tokens -= float64(size)
	b.bytes += uint64(size)
	return true
}

func (b *retransmitBudget) counters() (denied, bytes uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.denied, b.bytes
}

// AllowRetransmit reports whether the connection's retransmission budget
// has room for a retransmission of size bytes (RTP payload and header),
// and takes it if so: retransmissions answering NACKs may add
// Options.RetransmitShare of the estimate to what the allocator spends,
// averaged over half a second. A denied retransmission is not sent; the
// receiver asks again or, failing that, for a keyframe. Safe for
// concurrent use; it implements forwarder.RetransmitLimiter.
func (c *Controller) AllowRetransmit(size int) bool {
	return c.rtx.allow(size, c.Estimate(), c.now())
}

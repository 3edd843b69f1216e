package cc

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// Pacer defaults.
const (
	// DefaultPacingFactor: packets leave at this multiple of the estimate.
	DefaultPacingFactor = 2.5
	// DefaultPacerQueue is how many video packets may wait; more are
	// dropped to the end of their frame.
	DefaultPacerQueue = 128
	// pacerBurst is what the bucket holds when idle: a packet or two go
	// out at once, a keyframe is spread.
	pacerBurst = 5 * time.Millisecond
	// minPacerBurst bytes: at least one full packet.
	minPacerBurst = 1500
	// pacerSlotSize holds one marshalled RTP packet.
	pacerSlotSize = 1500
	// maxPacerWait bounds the pacer's sleep, so a raised estimate is
	// picked up soon.
	maxPacerWait = 20 * time.Millisecond
	// maxTrackedSSRCs bounds the streams whose frame is being dropped.
	maxTrackedSSRCs = 16
	// maxQueueDelay bounds the queue in time at the pacing rate (but it
	// always takes minQueueBytes): a packet that would wait longer is
	// dropped with the rest of its frame, rather than delaying everything
	// after it.
	maxQueueDelay = 250 * time.Millisecond
	minQueueBytes = 3 * pacerSlotSize
)

// queued is one paced packet: the header and payload marshalled into buf
// (the caller's header and payload are reused as soon as Write returns).
type queued struct {
	buf       [pacerSlotSize]byte
	n, hdrLen int
	padding   uint8
	seq       uint16
	hasSeq    bool
	next      interceptor.RTPWriter
	hdr       rtp.Header
	ext       [8]rtp.Extension
}

// pacer spreads a connection's video packets at a multiple of the
// estimate with a queue bounded in packets and in time (maxQueueDelay). Audio and padding (probes) never wait:
// they go out at once and only use up the budget. One goroutine per
// connection sends what is due, in batches; writers take the pacer's lock
// once per packet and never block.
type pacer struct {
	c      *Controller
	factor float64
	rate   atomic.Int64 // bit/s; 0 until the first estimate is applied

	mu       sync.Mutex
	tokens   float64 // bytes that may leave now; negative: debt
	refilled time.Time
	ring     []queued // allocated on first use
	size     int
	head, n  int
	bytes    int  // queued
	sending  bool // the pacer goroutine is writing: writers must queue
	dropping [maxTrackedSSRCs]struct {
		ssrc uint32
		on   bool
	}
	wake chan struct{}

	dropped atomic.Uint64 // video packets dropped because the queue was full
	paced   atomic.Uint64 // video packets that waited in the queue
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func newPacer(c *Controller, factor float64, size int) *pacer {
	if size < 2 {
		size = DefaultPacerQueue
	}
	p := &pacer{c: c, factor: factor, size: size, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

// setEstimate sets the pacing rate from the estimate.
func (p *pacer) setEstimate(bps int) { p.rate.Store(int64(float64(bps) * p.factor)) }

// refill adds the tokens earned since the last refill. p.mu held.
func (p *pacer) refill(now time.Time) float64 {
	rate := float64(p.rate.Load()) / 8
	if !p.refilled.IsZero() {
		p.tokens += rate * now.Sub(p.refilled).Seconds()
	}
	p.refilled = now
	p.tokens = min(p.tokens, max(rate*pacerBurst.Seconds(), minPacerBurst))
	return rate
}

// write handles one outgoing packet of a stream (audio: that stream's
// packets never wait).
func (p *pacer) write(next interceptor.RTPWriter, h *rtp.Header, payload []byte, a interceptor.Attributes,
	seq uint16, hasSeq, audio bool) (int, error) {
	size := h.MarshalSize() + len(payload) + int(h.PaddingSize)
	if audio || (h.Padding && len(payload) == 0) || p.rate.Load() <= 0 {
		p.mu.Lock()
		p.refill(p.c.now())
		p.tokens -= float64(size)
		p.mu.Unlock()
		return p.send(next, h, payload, a, seq, hasSeq, size)
	}
	p.mu.Lock()
	p.refill(p.c.now())
	if p.n == 0 && !p.sending && p.tokens > 0 && !p.isDropping(h.SSRC) {
		p.tokens -= float64(size)
		p.mu.Unlock()
		return p.send(next, h, payload, a, seq, hasSeq, size)
	}
	// One slot stays free: the one the pacer goroutine may be sending from.
	limit := max(int(float64(p.rate.Load())/8*maxQueueDelay.Seconds()), minQueueBytes)
	if p.isDropping(h.SSRC) || p.n >= p.size-1 || p.bytes+size > limit || size > pacerSlotSize {
		// Full: drop this packet and the rest of its frame.
		p.setDropping(h.SSRC, !h.Marker)
		p.mu.Unlock()
		p.dropped.Add(1)
		return size, nil
	}
	if p.ring == nil {
		p.ring = make([]queued, p.size)
	}
	q := &p.ring[(p.head+p.n)%p.size]
	hl, err := h.MarshalTo(q.buf[:])
	if err != nil {
		p.mu.Unlock()
		return 0, err
	}
	q.hdrLen, q.n = hl, hl+copy(q.buf[hl:], payload)
	q.padding, q.seq, q.hasSeq, q.next = h.PaddingSize, seq, hasSeq, next
	p.n++
	p.bytes += q.n + int(q.padding)
	p.mu.Unlock()
	p.paced.Add(1)
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return size, nil
}

// isDropping reports whether ssrc is dropping to the end of a frame. p.mu held.
func (p *pacer) isDropping(ssrc uint32) bool {
	for _, d := range p.dropping {
		if d.on && d.ssrc == ssrc {
			return true
		}
	}
	return false
}

// setDropping starts or ends dropping for ssrc. p.mu held.
func (p *pacer) setDropping(ssrc uint32, on bool) {
	free := -1
	for i := range p.dropping {
		d := &p.dropping[i]
		if d.on && d.ssrc == ssrc {
			d.on = on
			return
		}
		if !d.on && free < 0 {
			free = i
		}
	}
	if on && free >= 0 {
		p.dropping[free].ssrc, p.dropping[free].on = ssrc, true
	}
}

func (p *pacer) send(next interceptor.RTPWriter, h *rtp.Header, payload []byte, a interceptor.Attributes, seq uint16, hasSeq bool, size int) (int, error) {
	if hasSeq {
		p.c.record(seq, size)
	}
	return next.Write(h, payload, a)
}

// run is the pacer goroutine: it sends the queued packets that are due.
func (p *pacer) run() {
	defer close(p.done)
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		wait := p.flush()
		if wait > 0 {
			t.Reset(wait)
		}
		select {
		case <-p.stop:
			t.Stop()
			return
		case <-p.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// flush sends every queued packet the budget allows and returns how long
// to wait for the next one (0: the queue is empty).
func (p *pacer) flush() time.Duration {
	for {
		p.mu.Lock()
		rate := p.refill(p.c.now())
		if p.n == 0 {
			p.sending = false
			p.mu.Unlock()
			return 0
		}
		if p.tokens <= 0 {
			p.sending = false
			wait := maxPacerWait
			if rate > 0 {
				wait = min(max(time.Duration(-p.tokens/rate*float64(time.Second)), time.Millisecond), maxPacerWait)
			}
			p.mu.Unlock()
			return wait
		}
		q := &p.ring[p.head]
		p.head = (p.head + 1) % p.size
		p.n--
		p.bytes -= q.n + int(q.padding)
		p.tokens -= float64(q.n + int(q.padding))
		p.sending = true
		// Writers leave q alone (they never fill the last free slot) and
		// queue behind it while sending is set, so each stream stays in
		// order.
		p.mu.Unlock()
		q.hdr.Extensions = q.ext[:0]
		if _, err := q.hdr.Unmarshal(q.buf[:q.hdrLen]); err == nil {
			q.hdr.PaddingSize = q.padding
			_, _ = p.send(q.next, &q.hdr, q.buf[q.hdrLen:q.n], nil, q.seq, q.hasSeq, q.n+int(q.padding))
		}
	}
}

func (p *pacer) close() {
	p.once.Do(func() { close(p.stop) })
	<-p.done
}

// queued returns how many packets wait.
func (p *pacer) queued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

package cc

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard-sfu/switchyard/pkg/bwe"
)

// ProbeSender sends one probe packet on the connection (a recent media
// packet re-sent, or padding) and returns its size in bytes; ok is false
// when there is nothing to send it on. It is called from the prober
// goroutine only.
type ProbeSender func() (size int, ok bool)

// maxClusterTime bounds how long one cluster may keep sending, whatever
// its size and rate.
const maxClusterTime = 100 * time.Millisecond

// prober is the connection's one probing goroutine: it sends the clusters
// the probe controller asks for, spaced at the cluster's rate, and marks
// every packet sent meanwhile (media too) with the cluster id.
type prober struct {
	c      *Controller
	ch     chan bwe.Probe
	sender atomic.Pointer[ProbeSender]
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	sent   atomic.Uint64 // probe packets sent
}

func newProber(c *Controller) *prober {
	p := &prober{c: c, ch: make(chan bwe.Probe, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

// start queues a cluster; one already waiting makes it drop (the probe
// controller times it out as failed and backs off).
func (p *prober) start(pr bwe.Probe) {
	select {
	case p.ch <- pr:
	default:
	}
}

func (p *prober) close() {
	p.once.Do(func() { close(p.stop) })
	<-p.done
}

func (p *prober) run() {
	defer close(p.done)
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case pr := <-p.ch:
			if !p.send(pr, t) {
				return
			}
		}
	}
}

// probeTick is how long the prober sleeps between bursts of a cluster:
// it sends what is due at the cluster's rate on each wake-up, so a late
// timer delays packets but does not lower the rate over the cluster.
const probeTick = 2 * time.Millisecond

// send sends one cluster; false when the prober is stopping.
func (p *prober) send(pr bwe.Probe, t *time.Timer) bool {
	sp := p.sender.Load()
	if sp == nil || pr.Bitrate <= 0 {
		return true
	}
	send := *sp
	c := p.c
	c.cluster.Store(int32(pr.Cluster))
	defer c.cluster.Store(0)
	start := c.now()
	bytes, packets := 0, 0
	for {
		elapsed := c.now().Sub(start)
		due := int(float64(pr.Bitrate) / 8 * elapsed.Seconds())
		for (bytes <= due || packets == 0) && (bytes < pr.Bytes || packets < pr.Packets) {
			size, ok := send()
			if !ok || size <= 0 {
				return true
			}
			bytes += size
			packets++
			p.sent.Add(1)
		}
		if (bytes >= pr.Bytes && packets >= pr.Packets) || elapsed > maxClusterTime {
			return true
		}
		t.Reset(probeTick)
		select {
		case <-t.C:
		case <-p.stop:
			t.Stop()
			return false
		}
	}
}

// SetProbeSender sets (nil: clears) what probe clusters are sent with.
func (c *Controller) SetProbeSender(s ProbeSender) {
	if s == nil {
		c.prober.sender.Store(nil)
		return
	}
	c.prober.sender.Store(&s)
}

// ProbePackets counts probe packets sent.
func (c *Controller) ProbePackets() uint64 { return c.prober.sent.Load() }

// Close stops the prober and pacer goroutines. It is idempotent; the controller keeps
// answering Estimate and Stats.
func (c *Controller) Close() {
	c.prober.close()
	if c.pacer != nil {
		c.pacer.close()
	}
}

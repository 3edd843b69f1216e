package udpbatch

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

const (
	// DefaultSize is the default number of datagrams in a batch.
	DefaultSize = 64
	// MaxSize bounds Options.Size (the kernel's UIO_MAXIOV for sendmmsg).
	MaxSize = 1024
	// slotSize is the largest datagram a batch holds; larger ones (none on
	// a media path with a 1500-byte MTU) are written directly, after the
	// batch before them.
	slotSize = 2048
)

// ErrSize is returned by New for a batch size outside 1..MaxSize.
var ErrSize = errors.New("udpbatch: batch size out of range")

// Options configure a Writer.
type Options struct {
	// Size is the most datagrams one batch (one sendmmsg call) carries.
	// Default DefaultSize.
	Size int
}

// Writer writes datagrams on one UDP socket, coalescing those written
// during fan-outs (between Begin and End) into batches. Every method is safe
// for concurrent use.
//
// A full or ended batch is sent by the goroutine that took it, without any
// lock and without waiting for batches other goroutines are sending: waiting
// would hand off through the scheduler on every batch, which collapses
// throughput when the CPUs are busy. So a datagram that one goroutine wrote
// into a batch another goroutine then sends may, rarely, be overtaken by the
// writer's next datagram (by one position, as any UDP path may reorder); the
// datagrams of a batch a goroutine sends itself never are.
type Writer struct {
	conn *net.UDPConn
	size int
	sys  sender // the platform's batch sender

	mu      sync.Mutex
	open    int      // fan-outs between Begin and End; guarded by mu
	pending *batch   // datagrams waiting for a send; guarded by mu
	free    []*batch // empty batches for takeLocked; guarded by mu

	stats counters
}

// Stats counts what a Writer did.
type Stats struct {
	// Batches is the number of batch sends (sendmmsg calls, not counting
	// retries after a partial send).
	Batches uint64
	// Batched is the number of datagrams sent in batches.
	Batched uint64
	// Direct is the number of datagrams written directly: outside any
	// fan-out, too large for a batch, or not IPv4.
	Direct uint64
	// Errors is the number of batched datagrams the kernel refused (each
	// is dropped; the rest of its batch is still sent).
	Errors uint64
}

type counters struct {
	batches, batched, direct, errors atomic.Uint64
}

// New returns a Writer for conn, an IPv4 UDP socket. The Writer does not
// own conn: closing conn ends it (later batches count as Errors).
func New(conn *net.UDPConn, o Options) (*Writer, error) {
	if o.Size == 0 {
		o.Size = DefaultSize
	}
	if o.Size < 1 || o.Size > MaxSize {
		return nil, fmt.Errorf("%w: %d (1..%d)", ErrSize, o.Size, MaxSize)
	}
	sys, err := newSender(conn)
	if err != nil {
		return nil, fmt.Errorf("udpbatch: %w", err)
	}
	w := &Writer{conn: conn, size: o.Size, sys: sys}
	w.pending = newBatch(o.Size)
	return w, nil
}

// Begin opens a fan-out: until the matching End, writes are batched.
func (w *Writer) Begin() {
	w.mu.Lock()
	w.open++
	w.mu.Unlock()
}

// End closes a fan-out opened by Begin and sends what is pending, so no
// datagram waits for another fan-out. An End without a Begin does nothing.
func (w *Writer) End() {
	w.mu.Lock()
	if w.open == 0 {
		w.mu.Unlock()
		return
	}
	w.open--
	if w.pending.n == 0 {
		w.mu.Unlock()
		return
	}
	w.sendLocked(w.takeLocked())
}

// WriteToAddrPort writes b to the IPv4 address to. During a fan-out it
// copies b into the pending batch and returns len(b), nil: a send error is
// counted in Stats().Errors, not returned. Otherwise it writes at once and
// returns the socket's result. b may be reused as soon as it returns.
func (w *Writer) WriteToAddrPort(b []byte, to netip.AddrPort) (int, error) {
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	w.mu.Lock()
	if w.open == 0 {
		w.mu.Unlock()
		return w.direct(b, to)
	}
	if len(b) > slotSize || !to.Addr().Is4() {
		// Written directly, after what is pending, to keep the order.
		if w.pending.n > 0 {
			w.sendLocked(w.takeLocked())
		} else {
			w.mu.Unlock()
		}
		return w.direct(b, to)
	}
	w.pending.add(b, to)
	if w.pending.n == w.size {
		w.sendLocked(w.takeLocked())
		return len(b), nil
	}
	w.mu.Unlock()
	return len(b), nil
}

// WriteTo is WriteToAddrPort for a *net.UDPAddr; other address types are
// refused.
func (w *Writer) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, fmt.Errorf("udpbatch: %w: %T", net.InvalidAddrError("not a UDP address"), addr)
	}
	return w.WriteToAddrPort(b, ua.AddrPort())
}

// Stats returns a snapshot of w's counters.
func (w *Writer) Stats() Stats {
	return Stats{
		Batches: w.stats.batches.Load(),
		Batched: w.stats.batched.Load(),
		Direct:  w.stats.direct.Load(),
		Errors:  w.stats.errors.Load(),
	}
}

func (w *Writer) direct(b []byte, to netip.AddrPort) (int, error) {
	w.stats.direct.Add(1)
	return w.conn.WriteToUDPAddrPort(b, to)
}

// takeLocked swaps the pending batch for an empty one. mu held.
func (w *Writer) takeLocked() *batch {
	b := w.pending
	if n := len(w.free); n > 0 {
		w.pending, w.free = w.free[n-1], w.free[:n-1]
	} else {
		w.pending = newBatch(w.size)
	}
	return b
}

// sendLocked releases mu and sends b, which was just taken with mu held.
// Writers go on filling the next batch meanwhile.
func (w *Writer) sendLocked(b *batch) {
	w.mu.Unlock()
	sent, failed := w.sys.send(b)
	w.stats.batches.Add(1)
	w.stats.batched.Add(uint64(sent))
	w.stats.errors.Add(uint64(failed))
	b.reset()
	w.mu.Lock()
	w.free = append(w.free, b)
	w.mu.Unlock()
}

// Group is the Writers of several sockets (one per local address) opened
// and closed together around a fan-out that may write to any of them.
type Group []*Writer

// Begin opens a fan-out on every Writer.
func (g Group) Begin() {
	for _, w := range g {
		w.Begin()
	}
}

// End closes a fan-out on every Writer.
func (g Group) End() {
	for _, w := range g {
		w.End()
	}
}

package udpbatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// readTimeout bounds every wait for a datagram on loopback.
const readTimeout = 5 * time.Second

func listen(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func addrOf(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

func newWriter(t testing.TB, size int) (*Writer, *net.UDPConn) {
	t.Helper()
	conn := listen(t)
	w, err := New(conn, Options{Size: size})
	if err != nil {
		t.Fatal(err)
	}
	return w, conn
}

// receive reads one datagram within readTimeout.
func receive(t testing.TB, c *net.UDPConn) []byte {
	t.Helper()
	buf := make([]byte, 4096)
	if err := c.SetReadDeadline(time.Now().Add(readTimeout)); err != nil {
		t.Fatal(err)
	}
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("read on %s: %v", c.LocalAddr(), err)
	}
	return buf[:n]
}

func payload(i, size int) []byte {
	p := bytes.Repeat([]byte{byte(i)}, size)
	binary.BigEndian.PutUint32(p, uint32(i))
	return p
}

func TestNewRefusesBadSize(t *testing.T) {
	conn := listen(t)
	for _, size := range []int{-1, MaxSize + 1} {
		if _, err := New(conn, Options{Size: size}); !errors.Is(err, ErrSize) {
			t.Errorf("size %d: err %v, want ErrSize", size, err)
		}
	}
	if w, err := New(conn, Options{}); err != nil || w.size != DefaultSize {
		t.Fatalf("default: %v", err)
	}
}

// A fan-out's datagrams stay in the batch until it is full or the fan-out
// ends, then each destination gets its own datagram intact.
func TestFanOutIsBatched(t *testing.T) {
	const size, receivers = 4, 10
	w, _ := newWriter(t, size)
	var rx []*net.UDPConn
	for range receivers {
		rx = append(rx, listen(t))
	}
	w.Begin()
	for i, r := range rx {
		if n, err := w.WriteToAddrPort(payload(i, 1000), addrOf(r)); n != 1000 || err != nil {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	// Two full batches left; the last two datagrams wait for End.
	if st := w.Stats(); st.Batches != 2 || st.Batched != 8 || st.Direct != 0 {
		t.Fatalf("before End: %+v", st)
	}
	w.End()
	if st := w.Stats(); st.Batches != 3 || st.Batched != receivers || st.Errors != 0 {
		t.Fatalf("after End: %+v", st)
	}
	for i, r := range rx {
		if got := receive(t, r); !bytes.Equal(got, payload(i, 1000)) {
			t.Fatalf("receiver %d got %d bytes %x…", i, len(got), got[:min(8, len(got))])
		}
	}
}

func TestOutsideFanOutWritesDirectly(t *testing.T) {
	w, _ := newWriter(t, 8)
	r := listen(t)
	if _, err := w.WriteToAddrPort([]byte("stun"), addrOf(r)); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, r); string(got) != "stun" {
		t.Fatalf("got %q", got)
	}
	// An End without a Begin neither sends nor opens anything.
	w.End()
	if _, err := w.WriteTo([]byte("dtls"), net.UDPAddrFromAddrPort(addrOf(r))); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, r); string(got) != "dtls" {
		t.Fatalf("got %q", got)
	}
	if st := w.Stats(); st.Direct != 2 || st.Batches != 0 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := w.WriteTo([]byte("x"), &net.IPAddr{IP: net.IPv4(127, 0, 0, 1)}); err == nil {
		t.Fatal("WriteTo accepted a non-UDP address")
	}
}

// Datagrams to one destination leave in the order they were written across
// batch boundaries, around a datagram too large for a batch and across nested
// fan-outs (the datagrams pending when an inner fan-out ends leave then).
func TestOrderIsKept(t *testing.T) {
	w, _ := newWriter(t, 3)
	r := listen(t)
	to := addrOf(r)
	var want [][]byte
	write := func(p []byte) {
		t.Helper()
		if _, err := w.WriteToAddrPort(p, to); err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
	}
	w.Begin()
	for i := range 4 {
		write(payload(i, 100))
	}
	write(payload(4, slotSize+1)) // written directly after the pending one
	w.Begin()                     // nested fan-out
	write(payload(5, 100))
	w.End()
	write(payload(6, 100))
	write(payload(7, 100))
	w.End()
	if st := w.Stats(); st.Direct != 1 || st.Batched != 7 || w.open != 0 {
		t.Fatalf("stats %+v open %d", st, w.open)
	}
	for i, p := range want {
		if got := receive(t, r); !bytes.Equal(got, p) {
			t.Fatalf("datagram %d: got %d bytes starting %x, want %d bytes starting %x", i, len(got), got[:4], len(p), p[:4])
		}
	}
}

// A datagram the kernel refuses (port 0) is counted and dropped; the rest of
// its batch still leaves.
func TestRefusedDatagramDoesNotLoseTheBatch(t *testing.T) {
	w, _ := newWriter(t, 8)
	a, b := listen(t), listen(t)
	w.Begin()
	_, _ = w.WriteToAddrPort([]byte("a"), addrOf(a))
	_, _ = w.WriteToAddrPort([]byte("nowhere"), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 0))
	_, _ = w.WriteToAddrPort([]byte("b"), addrOf(b))
	w.End()
	if got := receive(t, a); string(got) != "a" {
		t.Fatalf("a got %q", got)
	}
	if got := receive(t, b); string(got) != "b" {
		t.Fatalf("b got %q", got)
	}
	if st := w.Stats(); st.Errors != 1 || st.Batched != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestClosedSocketCountsErrors(t *testing.T) {
	w, conn := newWriter(t, 8)
	r := listen(t)
	_ = conn.Close()
	w.Begin()
	for range 3 {
		if _, err := w.WriteToAddrPort([]byte("late"), addrOf(r)); err != nil {
			t.Fatalf("a batched write returned %v", err)
		}
	}
	w.End()
	if st := w.Stats(); st.Errors != 3 || st.Batched != 0 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := w.WriteToAddrPort([]byte("late"), addrOf(r)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("direct write on a closed socket: %v", err)
	}
}

// IPv4-mapped IPv6 destinations are batched as IPv4.
func TestMappedAddressIsBatched(t *testing.T) {
	w, _ := newWriter(t, 8)
	r := listen(t)
	to := addrOf(r)
	mapped := netip.AddrPortFrom(netip.AddrFrom16(to.Addr().As16()), to.Port())
	w.Begin()
	_, _ = w.WriteToAddrPort([]byte("m"), mapped)
	w.End()
	if got := receive(t, r); string(got) != "m" {
		t.Fatalf("got %q", got)
	}
	if st := w.Stats(); st.Batched != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// Concurrent fan-outs (several upstream tracks) and direct writers deliver
// every datagram exactly once.
func TestConcurrentFanOuts(t *testing.T) {
	const senders, packets, receivers = 4, 200, 5
	w, _ := newWriter(t, 7)
	var rx []*net.UDPConn
	for range receivers {
		r := listen(t)
		_ = r.SetReadBuffer(4 << 20) // capped by net.core.rmem_max
		rx = append(rx, r)
	}
	// Readers run while the senders write, so no socket buffer overflows.
	errs := make(chan error, receivers)
	for _, r := range rx {
		go func() { errs <- readAll(r, senders, packets) }()
	}
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range packets {
				batched := s%2 == 0 // half the senders run fan-outs
				if batched {
					w.Begin()
				}
				for _, r := range rx {
					p := []byte(fmt.Sprintf("%d/%d", s, i))
					if _, err := w.WriteToAddrPort(p, addrOf(r)); err != nil {
						t.Error(err)
					}
				}
				if batched {
					w.End()
				}
			}
		})
	}
	wg.Wait()
	for range rx {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if st := w.Stats(); st.Batched+st.Direct != senders*packets*receivers || st.Errors != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// readAll reads senders*packets datagrams "s/i" from r and checks that each
// arrives once. (Order across goroutines is not promised: a batch another
// goroutine sends may be overtaken; see Writer.)
func readAll(r *net.UDPConn, senders, packets int) error {
	seen := make(map[[2]int]bool, senders*packets)
	buf := make([]byte, 64)
	for range senders * packets {
		if err := r.SetReadDeadline(time.Now().Add(readTimeout)); err != nil {
			return err
		}
		n, err := r.Read(buf)
		if err != nil {
			return fmt.Errorf("%s: %w", r.LocalAddr(), err)
		}
		var s, i int
		if _, err := fmt.Sscanf(string(buf[:n]), "%d/%d", &s, &i); err != nil || s < 0 || s >= senders {
			return fmt.Errorf("%s: datagram %q", r.LocalAddr(), buf[:n])
		}
		if i < 0 || i >= packets || seen[[2]int{s, i}] {
			return fmt.Errorf("%s: unexpected or repeated datagram %d/%d", r.LocalAddr(), s, i)
		}
		seen[[2]int{s, i}] = true
	}
	return nil
}

// A steady fan-out allocates nothing: not per datagram, not per batch.
func TestFanOutDoesNotAllocate(t *testing.T) {
	w, _ := newWriter(t, 16)
	var to []netip.AddrPort
	for range 40 {
		to = append(to, addrOf(listen(t)))
	}
	p := payload(1, 1000)
	fanOut := func() {
		w.Begin()
		for _, a := range to {
			_, _ = w.WriteToAddrPort(p, a)
		}
		w.End()
	}
	fanOut() // the spare batch
	if n := testing.AllocsPerRun(50, fanOut); n != 0 {
		t.Fatalf("%v allocations per fan-out", n)
	}
}

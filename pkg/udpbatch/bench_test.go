//go:build linux

package udpbatch

import (
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// drainers opens n loopback sockets whose datagrams are read and dropped
// by one goroutine each, as subscribers would, until the benchmark ends.
func drainers(b *testing.B, n int) []netip.AddrPort {
	var (
		to []netip.AddrPort
		wg sync.WaitGroup
	)
	var conns []*net.UDPConn
	for range n {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		_ = c.SetReadBuffer(4 << 20)
		conns = append(conns, c)
		to = append(to, addrOf(c))
		wg.Go(func() {
			buf := make([]byte, 2048)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		})
	}
	b.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
		wg.Wait()
	})
	return to
}

// BenchmarkFanOut writes one 1000-byte datagram to each of 100 loopback
// destinations per op, either each with its own sendto (direct) or batched
// between Begin and End (sendmmsg). cpu-ns/datagram is the sending thread's
// own CPU time per datagram (the readers run on other threads): on loopback
// the kernel's delivery work, including waking the readers, is charged to
// the sender, so this is the floor of what forwarding a packet costs here.
func BenchmarkFanOut(b *testing.B) {
	const receivers = 100
	p := payload(7, 1000)
	for _, bc := range []struct {
		name    string
		batched bool
		size    int
	}{
		{"direct", false, DefaultSize},
		{"batch16", true, 16},
		{"batch64", true, 64},
	} {
		b.Run(bc.name, func(b *testing.B) {
			to := drainers(b, receivers)
			w, _ := newWriter(b, bc.size)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu0 := threadCPU(b)
			b.ReportAllocs()
			b.SetBytes(int64(len(p) * receivers))
			for b.Loop() {
				if bc.batched {
					w.Begin()
				}
				for _, a := range to {
					_, _ = w.WriteToAddrPort(p, a)
				}
				if bc.batched {
					w.End()
				}
			}
			b.ReportMetric(float64(threadCPU(b)-cpu0)/float64(b.N*receivers), "cpu-ns/datagram")
		})
	}
}

// threadCPU is the calling thread's CPU time in nanoseconds.
func threadCPU(b *testing.B) int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return ts.Nano()
}

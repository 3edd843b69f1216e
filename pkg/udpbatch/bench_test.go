package udpbatch

import (
	"net"
	"net/netip"
	"sync"
	"testing"
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
// between Begin and End (sendmmsg). ns/op ÷ 100 is the cost per datagram;
// on loopback the kernel's delivery work is charged to the sender.
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
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*receivers), "ns/datagram")
		})
	}
}

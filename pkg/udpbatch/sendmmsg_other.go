//go:build !linux

package udpbatch

import "net"

// batchSys has nothing to prepare where batches are sent one by one.
type batchSys struct{}

func (batchSys) init(*batch)     {}
func (batchSys) set(*batch, int) {}

// loopSender sends a batch one datagram at a time.
type loopSender struct{ conn *net.UDPConn }

func newSender(conn *net.UDPConn) (sender, error) { return &loopSender{conn: conn}, nil }

func (l *loopSender) send(b *batch) (sent, failed int) {
	for i := range b.n {
		if _, err := l.conn.WriteToUDPAddrPort(b.slot(i)[:b.lens[i]], b.addrs[i]); err != nil {
			failed++
			continue
		}
		sent++
	}
	return sent, failed
}

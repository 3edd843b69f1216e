package udpbatch

import "net/netip"

// batch is a fixed set of datagram slots filled by add and emptied by a
// send; its platform part (sys) holds what the kernel reads.
type batch struct {
	n     int              // slots in use
	data  []byte           // size slots of slotSize bytes
	lens  []int            // length of each slot's datagram
	addrs []netip.AddrPort // destination of each slot
	sys   batchSys
}

func newBatch(size int) *batch {
	b := &batch{
		data:  make([]byte, size*slotSize),
		lens:  make([]int, size),
		addrs: make([]netip.AddrPort, size),
	}
	b.sys.init(b)
	return b
}

// slot returns the storage of slot i.
func (b *batch) slot(i int) []byte { return b.data[i*slotSize : (i+1)*slotSize] }

// add copies p (at most slotSize bytes) into the next slot. The caller
// checks that a slot is free.
func (b *batch) add(p []byte, to netip.AddrPort) {
	i := b.n
	b.lens[i] = copy(b.slot(i), p)
	b.addrs[i] = to
	b.sys.set(b, i)
	b.n++
}

func (b *batch) reset() { b.n = 0 }

// sender sends batches on one socket.
type sender interface {
	// send sends b's datagrams in order and reports how many left and how
	// many the kernel refused (each refused one is skipped).
	send(b *batch) (sent, failed int)
}

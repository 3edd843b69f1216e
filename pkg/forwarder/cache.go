package forwarder

import "sync"

const (
	// slotSize is the capacity of one cache slot. pion reads at most 1460
	// bytes per RTP packet, so every packet a TrackRemote delivers fits.
	slotSize = 1500
	// maxCacheSize keeps the window well under half the 16-bit sequence space,
	// so a 16-bit sequence number always resolves to a single cached packet.
	maxCacheSize = 1 << 14
	// extBase offsets extended sequence numbers so that arithmetic on packets
	// older than the first one never underflows.
	extBase = 1 << 32
)

// packetCache keeps the last size packets of one upstream stream for
// retransmission: a fixed ring of preallocated slots indexed by sequence number
// modulo size. Each slot remembers the extended (wrap-around counted) sequence
// number of the packet it holds, so a lookup for a sequence number that has
// been overwritten, or that lies 65536 packets back, misses instead of
// returning the wrong packet.
//
// Put is called by the Receiver's read goroutine, Get by DownTracks' RTCP
// goroutines. mu guards every field below it; it is held only for the length of
// one slot copy and is never taken by the control plane.
type packetCache struct {
	mask uint64 // size-1; size is a power of two; immutable

	mu      sync.Mutex
	started bool
	highest uint64   // extended sequence number of the newest packet put
	ext     []uint64 // extended sequence number held by each slot; 0 = empty
	lens    []uint16 // length of each slot's packet
	data    []byte   // size*slotSize bytes of packet storage
}

// newPacketCache returns a cache of size slots, rounded up to a power of two
// and clamped to [1, maxCacheSize].
func newPacketCache(size int) *packetCache {
	n := 1
	for n < size && n < maxCacheSize {
		n <<= 1
	}
	return &packetCache{
		mask: uint64(n - 1),
		ext:  make([]uint64, n),
		lens: make([]uint16, n),
		data: make([]byte, n*slotSize),
	}
}

// size returns the number of slots.
func (c *packetCache) size() int { return int(c.mask + 1) }

// unwrap resolves a 16-bit sequence number to the extended sequence number
// nearest to highest. c.mu must be held.
func (c *packetCache) unwrap(seq uint16) uint64 {
	diff := int16(seq - uint16(c.highest))
	return uint64(int64(c.highest) + int64(diff))
}

// putResult says what Put did with a packet.
type putResult uint8

const (
	putStored    putResult = iota
	putDuplicate           // the cache already holds this sequence number
	putTooOld              // older than the window: storing it would evict a newer packet
	putTooBig              // larger than a slot
)

// Put stores pkt under seq. A packet whose sequence number is already cached
// is a duplicate (a publisher answering the same NACK twice, or RTX repairs
// pion's NACK generator did not notice) and is not stored again.
func (c *packetCache) Put(seq uint16, pkt []byte) putResult {
	if len(pkt) > slotSize {
		return putTooBig
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var ext uint64
	if !c.started {
		c.started = true
		ext = extBase + uint64(seq)
		c.highest = ext
	} else {
		ext = c.unwrap(seq)
		if ext > c.highest {
			c.highest = ext
		} else if c.highest-ext > c.mask {
			return putTooOld
		} else if c.ext[ext&c.mask] == ext {
			return putDuplicate
		}
	}
	i := ext & c.mask
	c.ext[i] = ext
	c.lens[i] = uint16(len(pkt))
	copy(c.data[i*slotSize:], pkt)
	return putStored
}

// Get copies the packet stored under seq into dst and returns its length. ok
// is false when the packet is not in the window, its slot has been reused, or
// dst is too small.
func (c *packetCache) Get(seq uint16, dst []byte) (n int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started {
		return 0, false
	}
	ext := c.unwrap(seq)
	if ext > c.highest || c.highest-ext > c.mask {
		return 0, false
	}
	i := ext & c.mask
	if c.ext[i] != ext {
		return 0, false // never received, or overwritten by a newer packet
	}
	n = int(c.lens[i])
	if len(dst) < n {
		return 0, false
	}
	copy(dst, c.data[i*slotSize:i*slotSize+uint64(n)])
	return n, true
}

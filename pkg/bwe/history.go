package bwe

// Flags of a [sentPacket].
const (
	sentValid uint8 = 1 << iota
	sentProbe       // part of a probe cluster
	sentAcked       // reported received
	sentLost        // reported lost (counted once)
)

// sentPacket is what the estimator remembers of one sent packet until its
// feedback arrives. It is kept small: a history holds thousands of them per
// connection.
type sentPacket struct {
	sendNs  int64  // send time, ns since the estimator's time base
	seq     uint32 // low 32 bits of the unwrapped sequence number
	size    uint32 // bytes
	cluster int32  // probe cluster, meaningful with sentProbe
	flags   uint8
}

// sendHistory is a ring of sent packets indexed by unwrapped transport-wide
// sequence number. Its size is fixed at construction: the oldest packets are
// overwritten, so memory does not grow with the send rate or with missing
// feedback.
type sendHistory struct {
	ring    []sentPacket
	mask    int64
	highest int64 // unwrapped sequence number of the newest packet
	started bool
}

// newSendHistory returns a history of size entries; size is a power of two.
func newSendHistory(size int) sendHistory {
	return sendHistory{ring: make([]sentPacket, size), mask: int64(size - 1)}
}

// unwrapFrom extends a 16-bit sequence number to the unwrapped value
// nearest ref.
func unwrapFrom(ref int64, seq uint16) int64 {
	return ref + int64(int16(seq-uint16(ref)))
}

// add records a sent packet and returns its unwrapped sequence number. A
// packet older than the whole ring is dropped (ok false) so that it cannot
// overwrite a newer one.
func (h *sendHistory) add(seq uint16, sendNs int64, size int, probe bool, cluster int) (unwrapped int64, ok bool) {
	var u int64
	if !h.started {
		// Start well above zero so unwrapped numbers stay positive.
		u = 1<<20 + int64(seq)
		h.highest, h.started = u, true
	} else {
		u = unwrapFrom(h.highest, seq)
		if u > h.highest {
			h.highest = u
		} else if h.highest-u > h.mask {
			return 0, false
		}
	}
	p := sentPacket{
		sendNs: sendNs,
		seq:    uint32(u),
		size:   uint32(min(max(size, 0), 1<<20)),
		flags:  sentValid,
	}
	if probe {
		p.flags |= sentProbe
		p.cluster = int32(cluster)
	}
	h.ring[u&h.mask] = p
	return u, true
}

// lookup finds the packet a feedback sequence number refers to; ok is false
// if it was never sent or has been overwritten.
func (h *sendHistory) lookup(seq uint16) (p *sentPacket, unwrapped int64, ok bool) {
	if !h.started {
		return nil, 0, false
	}
	u := unwrapFrom(h.highest, seq)
	if u > h.highest || h.highest-u > h.mask {
		return nil, 0, false
	}
	p = &h.ring[u&h.mask]
	if p.flags&sentValid == 0 || p.seq != uint32(u) {
		return nil, 0, false
	}
	return p, u, true
}

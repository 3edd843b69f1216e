package cc

import "sync/atomic"

// sentLogSize is the number of sent packets remembered until their feedback
// is drained (a power of two). At 100 ms feedback intervals it covers
// 20,000 packets/s; at the estimator's 20 Mbit/s maximum with 1000-byte
// packets it covers 800 ms of feedback delay. It is also the estimator's
// history size (see New): every connection holds both rings, so their size
// is per-connection memory (32 KiB here, 48 KiB in the estimator).
const sentLogSize = 2048

// Layout of a sentRecord's info word.
const (
	infoValid      = 1 << 63
	infoProbe      = 1 << 62
	infoSizeShift  = 16
	infoSizeMask   = 0xffff
	infoClustShift = 32
	infoClustMask  = 0x3fffffff
)

// sentRecord is one sent packet. info packs valid, probe, cluster, size and
// transport sequence number so that a reader sees them together; sendNs is
// guarded by a seqlock on info (see sentLog.put).
type sentRecord struct {
	info   atomic.Uint64
	sendNs atomic.Int64
}

// sentLog is a ring of sent packets indexed by transport-wide sequence
// number. Any number of packet writers put records concurrently without a
// lock; one reader at a time (the Controller's mutex holder) gets them. A
// record is overwritten sentLogSize sequence numbers later.
type sentLog struct {
	ring [sentLogSize]sentRecord
}

func packInfo(seq uint16, size int, probe bool, cluster int32) uint64 {
	v := uint64(infoValid) | uint64(seq) | uint64(min(max(size, 0), infoSizeMask))<<infoSizeShift |
		uint64(uint32(cluster)&infoClustMask)<<infoClustShift
	if probe {
		v |= infoProbe
	}
	return v
}

// put records a sent packet. It invalidates the slot first, then writes the
// time, then publishes the info word, so that get never pairs one packet's
// info with another's time.
func (l *sentLog) put(seq uint16, size int, sendNs int64, probe bool, cluster int32) {
	r := &l.ring[seq&(sentLogSize-1)]
	r.info.Store(0)
	r.sendNs.Store(sendNs)
	r.info.Store(packInfo(seq, size, probe, cluster))
}

// sentPacket is a record as read back.
type sentPacket struct {
	seq     uint16
	size    int
	sendNs  int64
	probe   bool
	cluster int32
}

// get reads the record of seq; ok is false if it was never written, has
// been overwritten by a newer packet, or is being written now.
func (l *sentLog) get(seq uint16) (p sentPacket, ok bool) {
	r := &l.ring[seq&(sentLogSize-1)]
	a := r.info.Load()
	t := r.sendNs.Load()
	if a == 0 || a != r.info.Load() || uint16(a) != seq {
		return sentPacket{}, false
	}
	return sentPacket{
		seq:     seq,
		size:    int(a >> infoSizeShift & infoSizeMask),
		sendNs:  t,
		probe:   a&infoProbe != 0,
		cluster: int32(a >> infoClustShift & infoClustMask),
	}, true
}

package forwarder

import (
	"sync/atomic"
	"time"
)

const (
	// reorderWindow is how far (in packets) behind the newest forwarded packet
	// a late packet may arrive and still be forwarded with its mapped number.
	reorderWindow = 1024
	// maxAnchorGap caps the wall time credited to the timestamp when a stream
	// is re-anchored, so the jump stays far below 2^31 ticks at any clock rate
	// a receiver would interpret as a negative jump.
	maxAnchorGap = time.Hour
)

// mungeResult says what to do with a packet.
type mungeResult uint8

const (
	mungeForward   mungeResult = iota // send with the returned seq/ts
	mungeDuplicate                    // already forwarded
	mungeTooOld                       // behind the window or before the current segment
)

// segment is one anchoring of the outgoing stream on an incoming one: within
// it, out = in + offset (mod 2^16 for sequence numbers, 2^32 for timestamps).
// The munger publishes the current segment for the RTCP goroutine, which maps
// NACKed outgoing sequence numbers back to cached incoming ones.
//
// All fields but last are immutable once published.
type segment struct {
	epoch     uint64 // owner-defined identity of the anchoring (binding, source)
	firstOut  uint16 // outgoing sequence number of the anchor packet
	seqOffset uint16
	tsOffset  uint32
	// last packs the newest outgoing sequence number (low 16 bits) and the
	// number of sequence numbers since firstOut (high 48 bits), so that a
	// reader sees both from the same packet. Written by the forwarding
	// goroutine, read by anyone.
	last atomic.Uint64
}

// lookup maps an outgoing sequence number to the incoming one, if it lies in
// this segment at or before the newest forwarded packet.
func (s *segment) lookup(outSeq uint16) (inSeq uint16, ok bool) {
	last := s.last.Load()
	newest, span := uint16(last), last>>16
	if int16(outSeq-newest) > 0 {
		return 0, false // not sent yet
	}
	if uint64(newest-outSeq) > span {
		return 0, false // before the segment's anchor: another source or binding
	}
	return outSeq - s.seqOffset, true
}

// munger rewrites sequence numbers and timestamps of one outgoing stream so
// that it is contiguous from a random start, whatever the incoming stream
// does: gaps are preserved, reordered packets keep their mapped numbers, and a
// re-anchor (resume, source switch) continues at last+1 with a timestamp
// advanced by the elapsed wall time.
//
// Every field except seg is owned by the goroutine forwarding the stream.
type munger struct {
	clockRate uint32 // Hz, immutable

	epoch    uint64
	anchored bool // a segment exists since reset
	pending  bool // re-anchor on the next packet
	startSeq uint16
	startTS  uint32

	seqOffset uint16
	tsOffset  uint32
	highestIn uint16 // newest incoming sequence number of the segment
	span      uint64 // highestIn - anchor's incoming sequence number, unwrapped
	recent    uint64 // bit i: highestIn-i was forwarded (duplicate filter)

	lastSeq uint16    // outgoing sequence number of highestIn
	lastTS  uint32    // outgoing timestamp of highestIn
	lastAt  time.Time // arrival of highestIn

	cur *segment
	seg atomic.Pointer[segment] // cur, published for lookups
}

func newMunger(clockRate uint32) *munger { return &munger{clockRate: clockRate} }

// reset starts a new outgoing stream at (seqStart, tsStart) on the next
// packet, forgetting the previous one. epoch labels the segments it creates.
func (m *munger) reset(epoch uint64, seqStart uint16, tsStart uint32) {
	m.epoch = epoch
	m.anchored, m.pending = false, false
	m.startSeq, m.startTS = seqStart, tsStart
	m.cur = nil
	m.seg.Store(nil)
}

// reanchor makes the next packet, whatever its numbers, continue the outgoing
// stream: sequence number last+1 and timestamp advanced by the wall time since
// the last forwarded packet. Used when forwarding resumes after a pause and
// when the incoming stream changes (source or layer switch).
func (m *munger) reanchor(epoch uint64) {
	m.epoch = epoch
	if m.anchored {
		m.pending = true
	}
}

// segment returns the current segment (nil before the first packet). Safe
// from any goroutine.
func (m *munger) segment() *segment { return m.seg.Load() }

// update maps one incoming packet to its outgoing numbers.
func (m *munger) update(inSeq uint16, inTS uint32, at time.Time) (outSeq uint16, outTS uint32, res mungeResult) {
	if !m.anchored || m.pending {
		m.anchor(inSeq, inTS, at)
		return m.lastSeq, m.lastTS, mungeForward
	}
	diff := int16(inSeq - m.highestIn)
	outSeq, outTS = inSeq+m.seqOffset, inTS+m.tsOffset
	switch {
	case diff > 0:
		if diff >= 64 {
			m.recent = 1
		} else {
			m.recent = m.recent<<uint(diff) | 1
		}
		m.highestIn = inSeq
		m.span += uint64(diff)
		m.lastSeq, m.lastTS, m.lastAt = outSeq, outTS, at
		m.cur.last.Store(m.span<<16 | uint64(outSeq))
		return outSeq, outTS, mungeForward
	case diff == 0:
		return 0, 0, mungeDuplicate
	default:
		back := uint64(-int(diff))
		if back > m.span || back > reorderWindow {
			return 0, 0, mungeTooOld
		}
		if back < 64 {
			bit := uint64(1) << back
			if m.recent&bit != 0 {
				return 0, 0, mungeDuplicate
			}
			m.recent |= bit
		}
		return outSeq, outTS, mungeForward
	}
}

// anchor starts a segment at this packet.
func (m *munger) anchor(inSeq uint16, inTS uint32, at time.Time) {
	outSeq, outTS := m.startSeq, m.startTS
	if m.anchored {
		outSeq = m.lastSeq + 1
		outTS = m.lastTS + m.ticksSince(at)
	}
	m.anchored, m.pending = true, false
	m.seqOffset, m.tsOffset = outSeq-inSeq, outTS-inTS
	m.highestIn, m.span, m.recent = inSeq, 0, 1
	m.lastSeq, m.lastTS, m.lastAt = outSeq, outTS, at

	// One allocation per anchoring (keyframe after bind/resume, source
	// switch), never per packet: readers hold on to old segments.
	s := &segment{epoch: m.epoch, firstOut: outSeq, seqOffset: m.seqOffset, tsOffset: m.tsOffset}
	s.last.Store(uint64(outSeq))
	m.cur = s
	m.seg.Store(s)
}

// ticksSince converts the wall time since the last forwarded packet into
// timestamp units: at least one tick, so the new frame never shares the old
// frame's timestamp, and at most maxAnchorGap worth.
func (m *munger) ticksSince(at time.Time) uint32 {
	gap := at.Sub(m.lastAt)
	if gap > maxAnchorGap {
		gap = maxAnchorGap
	}
	ticks := uint64(0)
	if gap > 0 {
		ticks = uint64(gap) * uint64(m.clockRate) / uint64(time.Second)
	}
	if ticks == 0 {
		ticks = 1
	}
	return uint32(ticks)
}

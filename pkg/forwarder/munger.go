package forwarder

import "time"

const (
	// reorderWindow is how far (in packets) behind the newest incoming packet
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
	mungeDuplicate                    // already handled
	mungeTooOld                       // behind the window, before the anchor, or absorbed
	mungeAbsorbed                     // dropped on purpose; it takes no outgoing number
)

// munger rewrites sequence numbers and timestamps of one outgoing stream so
// that it is contiguous from a random start, whatever the incoming streams
// do:
//
//   - within a source, out = in + offset: a gap upstream stays a gap (the
//     subscriber NACKs it and the NACK maps back to the lost packet), and a
//     late packet keeps the number reserved for it;
//   - a packet dropped on purpose (drop: a VP8 temporal layer above the
//     limit) takes no number when it is the newest: the offset shrinks by one
//     for the packets after it, so the subscriber sees no gap. A late packet
//     dropped on purpose still owns its reserved number (drop returns it and
//     the DownTrack sends padding on it);
//   - a re-anchor (resume, source switch) continues at last+1 with a
//     timestamp advanced by the wall time since the highest-numbered
//     forwarded packet, so timestamps never go backwards.
//
// Each change of offset starts a segment (see segment.go); the last few are
// kept so that NACKs of packets sent before a switch or a drop still map to
// the right source and incoming number.
//
// Every field except segs belongs to the goroutine forwarding the stream
// (the DownTrack's mutex).
type munger struct {
	clockRate uint32 // Hz of the current source

	epoch uint64    // labels segments (binding epoch)
	src   *Receiver // labels segments
	// stint counts anchorings (a stint runs from one anchor to the next, on
	// one source). It labels segments and, through them, VP8 frames.
	stint uint16

	anchored bool // a packet was forwarded since reset
	pending  bool // re-anchor on the next packet
	startSeq uint16
	startTS  uint32

	seqOffset uint16 // for incoming numbers newer than highestIn
	tsOffset  uint32
	highestIn uint16 // newest incoming number since the anchor
	span      uint64 // highestIn - the anchor's incoming number, unwrapped
	recent    uint64 // bit i: highestIn-i was handled (duplicate filter)

	lastSeq uint16    // newest outgoing number handed out (sent or reserved)
	sentSeq uint16    // highest outgoing number sent
	lastTS  uint32    // outgoing timestamp of the packet sent as sentSeq
	lastAt  time.Time // its arrival

	cur       *segment // segment seqOffset belongs to; nil: the next number starts one
	curSpan   uint64   // numbers in cur after its first
	stintHead uint64   // segs.head at the anchor: later segments share the source

	segs segmentRing
}

func newMunger(clockRate uint32) *munger { return &munger{clockRate: clockRate} }

// reset starts a new outgoing stream at (seqStart, tsStart) on the next
// packet, forgetting the previous one. epoch labels the segments it creates.
func (m *munger) reset(epoch uint64, seqStart uint16, tsStart uint32) {
	m.epoch = epoch
	m.anchored, m.pending = false, false
	m.startSeq, m.startTS = seqStart, tsStart
	m.cur = nil
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

// setSource labels the segments created from now on and sets the clock rate
// used for re-anchoring. The caller re-anchors.
func (m *munger) setSource(src *Receiver, clockRate uint32) {
	m.src, m.clockRate = src, clockRate
}

// segment returns a copy of the newest segment, nil before the first packet.
// For tests and diagnostics; NACKs use segs.lookup.
func (m *munger) segment() *segmentView {
	v, ok := m.segs.newest()
	if !ok {
		return nil
	}
	return &v
}

// needsAnchor reports whether the next packet starts a segment of a new stint.
func (m *munger) needsAnchor() bool { return !m.anchored || m.pending }

// isNewest reports whether inSeq is newer than every packet handled since
// the anchor (or will be the anchor).
func (m *munger) isNewest(inSeq uint16) bool {
	return m.needsAnchor() || int16(inSeq-m.highestIn) > 0
}

// update maps one incoming packet that is to be forwarded to its outgoing
// numbers.
func (m *munger) update(inSeq uint16, inTS uint32, at time.Time) (outSeq uint16, outTS uint32, res mungeResult) {
	if m.needsAnchor() {
		m.anchor(inSeq, inTS, at)
		return m.lastSeq, m.lastTS, mungeForward
	}
	diff := int16(inSeq - m.highestIn)
	switch {
	case diff > 0:
		m.assign(inSeq)
		m.advance(inSeq, uint64(diff))
		outTS = inTS + m.tsOffset
		m.sentSeq, m.lastTS, m.lastAt = m.lastSeq, outTS, at
		return m.lastSeq, outTS, mungeForward
	case diff == 0:
		return 0, 0, mungeDuplicate
	default:
		outSeq, outTS, res = m.late(inSeq, inTS, uint64(-int(diff)))
		if res == mungeForward && int16(outSeq-m.sentSeq) > 0 {
			// A late packet on a number reserved at the tail: the highest sent.
			m.sentSeq, m.lastTS, m.lastAt = outSeq, outTS, at
		}
		return outSeq, outTS, res
	}
}

// drop handles an incoming packet that is not to be forwarded. The newest
// packet is absorbed: it takes no outgoing number, and with absorbGap the
// missing numbers just before it (known to belong to the same dropped frame)
// take none either. A late packet keeps the number reserved for it; drop
// returns it with mungeForward so the caller can fill it with padding.
func (m *munger) drop(inSeq uint16, inTS uint32, absorbGap bool) (outSeq uint16, outTS uint32, res mungeResult) {
	if m.needsAnchor() {
		return 0, 0, mungeAbsorbed // nothing to keep contiguous with yet
	}
	diff := int16(inSeq - m.highestIn)
	switch {
	case diff > 0:
		if absorbGap {
			m.seqOffset -= uint16(diff)
		} else {
			if diff > 1 {
				m.assign(inSeq - 1) // the missing packets keep their numbers
			}
			m.seqOffset--
		}
		m.cur = nil
		m.advance(inSeq, uint64(diff))
		return 0, 0, mungeAbsorbed
	case diff == 0:
		return 0, 0, mungeDuplicate
	default:
		outSeq, outTS, res = m.late(inSeq, inTS, uint64(-int(diff)))
		if res == mungeForward && int16(outSeq-m.sentSeq) > 0 {
			m.sentSeq = outSeq // padding: keeps the timestamp of real media
		}
		return outSeq, outTS, res
	}
}

// advance makes inSeq, diff numbers ahead, the newest incoming packet.
func (m *munger) advance(inSeq uint16, diff uint64) {
	if diff >= 64 {
		m.recent = 1
	} else {
		m.recent = m.recent<<diff | 1
	}
	m.highestIn = inSeq
	m.span += diff
}

// assign hands out the numbers up to inSeq (newer than highestIn) with the
// current offset, extending the current segment or starting one.
func (m *munger) assign(inSeq uint16) {
	diff := uint64(inSeq - m.highestIn)
	out := inSeq + m.seqOffset
	if m.cur == nil {
		m.curSpan = diff - 1
		m.cur = m.segs.start(&segmentView{
			src: m.src, epoch: m.epoch, stint: m.stint,
			firstOut: m.highestIn + 1 + m.seqOffset, seqOffset: m.seqOffset, tsOffset: m.tsOffset,
			newest: out, span: m.curSpan,
		})
	} else {
		m.curSpan += diff
		m.cur.last.Store(m.curSpan<<16 | uint64(out))
	}
	m.lastSeq = out
}

// late maps a packet back bytes behind the newest to the number reserved for
// it, if it lies in a segment of the current stint and was not handled yet.
func (m *munger) late(inSeq uint16, inTS uint32, back uint64) (uint16, uint32, mungeResult) {
	if back > m.span || back > reorderWindow {
		return 0, 0, mungeTooOld
	}
	var bit uint64
	if back < 64 {
		bit = 1 << back
		if m.recent&bit != 0 {
			return 0, 0, mungeDuplicate
		}
	}
	offset, ok := m.offsetOf(inSeq)
	if !ok {
		return 0, 0, mungeTooOld // absorbed with a dropped frame
	}
	m.recent |= bit
	return inSeq + offset, inTS + m.tsOffset, mungeForward
}

// offsetOf finds the segment of the current stint that reserved a number for
// inSeq.
func (m *munger) offsetOf(inSeq uint16) (uint16, bool) {
	h := m.segs.head.Load()
	for k := h; k > m.stintHead && h-k < segmentRingSize; k-- {
		s := &m.segs.ring[(k-1)%segmentRingSize]
		offs, last := s.offs.Load(), s.last.Load()
		seqOffset := uint16(offs >> 32)
		firstIn := uint16(offs>>48) - seqOffset
		if uint64(inSeq-firstIn) <= last>>16 {
			return seqOffset, true
		}
	}
	return 0, false
}

// anchor starts a stint and its first segment at this packet.
func (m *munger) anchor(inSeq uint16, inTS uint32, at time.Time) {
	outSeq, outTS := m.startSeq, m.startTS
	if m.anchored {
		outSeq = m.lastSeq + 1
		outTS = m.lastTS + m.ticksSince(at)
	}
	m.anchored, m.pending = true, false
	m.stint++
	m.seqOffset, m.tsOffset = outSeq-inSeq, outTS-inTS
	m.highestIn, m.span, m.recent = inSeq, 0, 1
	m.lastSeq, m.sentSeq, m.lastTS, m.lastAt = outSeq, outSeq, outTS, at
	m.stintHead = m.segs.head.Load()
	m.curSpan = 0
	m.cur = m.segs.start(&segmentView{
		src: m.src, epoch: m.epoch, stint: m.stint,
		firstOut: outSeq, seqOffset: m.seqOffset, tsOffset: m.tsOffset, newest: outSeq,
	})
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

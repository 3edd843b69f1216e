package forwarder

import "sync/atomic"

// segmentRingSize is how many segments a munger remembers for NACK lookups.
// A segment ends at every source switch, re-anchor and run of deliberately
// dropped packets (temporal layers: about 15 a second at 30 fps when the top
// layer is dropped), so 32 cover the last one to several seconds, which is
// longer than subscribers keep NACKing.
const segmentRingSize = 32

// segment is one run of the outgoing stream that maps linearly onto one
// source: within it, out = in + seqOffset (mod 2^16) and timestamps out = in
// + tsOffset (mod 2^32). Segments follow each other without gaps in the
// outgoing sequence space.
//
// Segments live in a fixed ring and are rewritten in place, so readers take
// a consistent copy (segmentView) under a sequence lock: ver is odd while the
// forwarding goroutine rewrites the entry. Every field is an atomic, so
// readers never race with the writer.
type segment struct {
	ver  atomic.Uint32
	src  atomic.Pointer[Receiver]
	ids  atomic.Uint64 // epoch<<16 | stint
	offs atomic.Uint64 // firstOut<<48 | seqOffset<<32 | tsOffset
	// last packs the newest outgoing number of the segment (low 16 bits)
	// and how many numbers follow firstOut (high 48 bits), so that a reader
	// sees both from the same packet. Updated per packet without the lock:
	// it only grows while the entry is in use.
	last atomic.Uint64
}

// segmentView is a consistent copy of a segment.
type segmentView struct {
	src       *Receiver
	epoch     uint64 // binding epoch the segment was created under
	stint     uint16 // the munger's anchoring count (labels VP8 frames)
	firstOut  uint16
	seqOffset uint16
	tsOffset  uint32
	newest    uint16 // newest outgoing number in the segment
	span      uint64 // numbers after firstOut
}

// lookup maps an outgoing sequence number to the incoming one, if it lies in
// this segment at or before its newest number.
func (v *segmentView) lookup(outSeq uint16) (inSeq uint16, ok bool) {
	if int16(outSeq-v.newest) > 0 {
		return 0, false // not sent yet
	}
	if uint64(v.newest-outSeq) > v.span {
		return 0, false // before the segment's first number
	}
	return outSeq - v.seqOffset, true
}

func (s *segment) store(v *segmentView) {
	s.ver.Add(1)
	s.src.Store(v.src)
	s.ids.Store(v.epoch<<16 | uint64(v.stint))
	s.offs.Store(uint64(v.firstOut)<<48 | uint64(v.seqOffset)<<32 | uint64(v.tsOffset))
	s.last.Store(v.span<<16 | uint64(v.newest))
	s.ver.Add(1)
}

// load takes a consistent copy; ok is false if the writer kept rewriting the
// entry while it was read.
func (s *segment) load() (v segmentView, ok bool) {
	for range 4 {
		ver := s.ver.Load()
		if ver&1 != 0 {
			continue
		}
		v.src = s.src.Load()
		ids, offs, last := s.ids.Load(), s.offs.Load(), s.last.Load()
		if s.ver.Load() != ver {
			continue
		}
		v.epoch, v.stint = ids>>16, uint16(ids)
		v.firstOut, v.seqOffset, v.tsOffset = uint16(offs>>48), uint16(offs>>32), uint32(offs)
		v.newest, v.span = uint16(last), last>>16
		return v, true
	}
	return segmentView{}, false
}

// segmentRing holds the last segmentRingSize segments. start is called by the
// forwarding goroutine only; lookup by anyone.
type segmentRing struct {
	head atomic.Uint64 // segments ever started
	ring [segmentRingSize]segment
}

// start publishes a new newest segment and returns it.
func (r *segmentRing) start(v *segmentView) *segment {
	h := r.head.Load()
	s := &r.ring[h%segmentRingSize]
	s.store(v)
	r.head.Store(h + 1)
	return s
}

// newest returns a copy of the newest segment.
func (r *segmentRing) newest() (segmentView, bool) {
	h := r.head.Load()
	if h == 0 {
		return segmentView{}, false
	}
	return r.ring[(h-1)%segmentRingSize].load()
}

// lookup finds the segment that sent outSeq under binding epoch and returns it
// with the incoming sequence number. Segments of older bindings are not
// searched.
func (r *segmentRing) lookup(outSeq uint16, epoch uint64) (segmentView, uint16, bool) {
	h := r.head.Load()
	n := min(h, segmentRingSize)
	for k := range n {
		v, ok := r.ring[(h-1-k)%segmentRingSize].load()
		if !ok || v.epoch != epoch {
			break
		}
		if k == 0 && int16(outSeq-v.newest) > 0 {
			break // not sent yet
		}
		if in, ok := v.lookup(outSeq); ok {
			return v, in, true
		}
	}
	return segmentView{}, 0, false
}

package forwarder

import "sync/atomic"

// frameRingSize is how many VP8 frames a DownTrack remembers (about two
// seconds at 30 fps): late packets and retransmissions look up the decision
// and outgoing numbers of their frame here.
const frameRingSize = 64

// frameEntry is what a DownTrack decided about one VP8 frame.
type frameEntry struct {
	stint uint16 // the munger's stint (14 bits kept)
	in    uint16 // incoming picture id (7 or 15 bits)
	ts    uint32 // incoming RTP timestamp: tells apart frames whose 7-bit ids wrapped
	// out is the outgoing picture id of a forwarded frame; for a frame
	// dropped as the newest it is the id the next frame continues from (one
	// less than the id it would have had), so that out+Δin numbers the frames
	// after it. A frame dropped late keeps its own id.
	out    uint16
	tl0    uint8 // outgoing TL0PICIDX
	keyIdx uint8 // outgoing KEYIDX
	fwd    bool
}

const (
	frameValid  = 1 << 63
	frameFwd    = 1 << 62
	frameGenMax = 1<<14 - 1
)

func (e frameEntry) pack() uint64 {
	v := uint64(frameValid) |
		uint64(e.stint&frameGenMax)<<48 | uint64(e.in&0x7FFF)<<33 | uint64(e.out&0x7FFF)<<18 |
		uint64(e.tl0)<<10 | uint64(e.keyIdx&0x1F)<<5
	if e.fwd {
		v |= frameFwd
	}
	return v
}

func unpackFrame(v uint64) frameEntry {
	return frameEntry{
		stint:  uint16(v>>48) & frameGenMax,
		in:     uint16(v>>33) & 0x7FFF,
		out:    uint16(v>>18) & 0x7FFF,
		tl0:    uint8(v >> 10),
		keyIdx: uint8(v>>5) & 0x1F,
		fwd:    v&frameFwd != 0,
	}
}

// numbers returns the outgoing descriptor values of a forwarded frame.
func (e frameEntry) numbers() vp8Numbers {
	return vp8Numbers{pic: e.out, tl0: e.tl0, keyIdx: e.keyIdx}
}

// frameRing is a ring of frameEntry. add is called under the DownTrack's
// mutex; find and before by anyone (the RTCP goroutine looks up frames of
// retransmitted packets). Each slot is two atomics: meta is cleared while ts
// is rewritten, and a reader accepts ts only if meta did not change around it.
type frameRing struct {
	n    atomic.Uint64 // entries ever added; written under the DownTrack's mutex
	meta [frameRingSize]atomic.Uint64
	ts   [frameRingSize]atomic.Uint32
}

func (r *frameRing) add(e frameEntry) {
	n := r.n.Load()
	i := n % frameRingSize
	r.meta[i].Store(0)
	r.ts[i].Store(e.ts)
	r.meta[i].Store(e.pack())
	r.n.Store(n + 1)
}

// load returns slot i, ok=false when empty or being rewritten.
func (r *frameRing) load(i int) (frameEntry, bool) {
	m := r.meta[i].Load()
	if m&frameValid == 0 {
		return frameEntry{}, false
	}
	ts := r.ts[i].Load()
	if r.meta[i].Load() != m {
		return frameEntry{}, false
	}
	e := unpackFrame(m)
	e.ts = ts
	return e, true
}

// frameTSWindow is how far (in RTP ticks, one second at 90 kHz) a packet's
// timestamp may be from the one recorded for its picture id. It tells apart
// frames whose 7-bit picture ids wrapped (128 frames apart) and tolerates
// publishers that do not advance the picture id.
const frameTSWindow = 90000

// find returns the entry of the frame with picture id in in stint gen whose
// timestamp is within frameTSWindow of ts. It searches from the newest
// entry: a stint's entries span fewer than 128 frames, so at most one entry
// per picture id lies in the window.
func (r *frameRing) find(gen, in uint16, ts uint32) (frameEntry, bool) {
	const keyMask = frameValid | frameGenMax<<48 | 0x7FFF<<33
	key := uint64(frameValid) | uint64(gen&frameGenMax)<<48 | uint64(in&0x7FFF)<<33
	n := r.n.Load()
	for k := range min(n, frameRingSize) {
		i := (n - 1 - k) % frameRingSize
		if r.meta[i].Load()&keyMask != key {
			continue
		}
		if e, ok := r.load(int(i)); ok && e.stint == gen&frameGenMax && e.in == in {
			if dist := ts - e.ts; dist <= frameTSWindow || -dist <= frameTSWindow {
				return e, true
			}
		}
	}
	return frameEntry{}, false
}

// before returns the newest entry of stint gen whose picture id precedes in
// (in the picture id space of size mod). A stint's entries span less than
// half of even the 7-bit space, so the comparison is unambiguous.
func (r *frameRing) before(gen, in, mod uint16) (frameEntry, bool) {
	gen &= frameGenMax
	var best frameEntry
	bestDiff, found := 0, false
	for i := range frameRingSize {
		e, ok := r.load(i)
		if !ok || e.stint != gen {
			continue
		}
		if d := picDiff(e.in, in, mod); d < 0 && (!found || d > bestDiff) {
			best, bestDiff, found = e, d, true
		}
	}
	return best, found
}

package forwarder

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// propSlot is one slot under test and the checker of its output.
type propSlot struct {
	t      *testing.T
	i      int
	d      *DownTrack
	clock  *fakeClock
	srcs   []*propSource
	rtx    bool
	target int  // normalized temporal limit in force
	paused bool // as last set

	// Output state.
	retransmitting bool
	retx           []rtp.Packet
	anyOut         bool
	maxOut         uint16
	holes          map[uint16]holeInfo
	sentBy         map[uint16]sentInfo // out seq -> what was sent
	lastMaxTS      uint32
	lastMaxAt      time.Time
	lastPic        int // newest forwarded frame's out picture id (-1: none)
	lastTL0        int
	stint          *stintRec
	prevStint      *stintRec
	lastDelivered  *propPkt
	lastPicMask    uint16
}

type holeInfo struct {
	src *Receiver
	in  uint16
}

type sentInfo struct {
	at      time.Time
	pkt     rtp.Packet
	src     *Receiver
	in      uint16
	padding bool
}

type stintRec struct {
	id              uint16
	src             *propSource
	anchorFrame     int
	anchorDelivered int
	newest          int          // newest frame processed
	seenNewest      map[int]bool // frames first processed as the newest
	targetAt        map[int]int  // frame -> limit when first processed
	firstAt         map[int]int  // frame -> delivery number of its first processed packet
	processed       map[*propPkt]bool
	fwdPkts         map[*propPkt]bool
	outPic          map[int]uint16 // forwarded frame -> out picture id
	tsOff           uint32
	tl0Off          uint8
	tl0Set          bool
}

func newPropSlot(t *testing.T, i int, clock *fakeClock, srcs []*propSource, rtx bool) *propSlot {
	ps := &propSlot{t: t, i: i, clock: clock, srcs: srcs, rtx: rtx, target: allTemporalLayers,
		holes: map[uint16]holeInfo{}, sentBy: map[uint16]sentInfo{}, lastPic: -1, lastTL0: -1}
	ctx := &fakeContext{codecs: downVideoCodecs, ssrc: webrtc.SSRC(0x5000 + i), writer: propWriter{ps}}
	if rtx {
		ctx.rtx = webrtc.SSRC(0x6000 + i)
	}
	ps.d = newSlot(t, DownTrackOptions{ID: "prop", Now: clock.Now}, ctx)
	return ps
}

// act applies random control-plane operations.
func (ps *propSlot) act(rng *rand.Rand, srcs []*propSource) {
	switch r := rng.Float64(); {
	case r < 0.08 || ps.d.Source() == nil && ps.d.PendingSource() == nil && r < 0.5:
		if k := rng.IntN(len(srcs) + 1); k < len(srcs) {
			ps.d.SwitchTo(srcs[k].l.r)
		} else if rng.IntN(3) == 0 {
			ps.d.SwitchTo(nil)
		}
	case r < 0.11:
		ps.d.SwitchTo(ps.d.Source()) // cancel a pending switch
	case r < 0.20:
		tid := rng.IntN(5) - 1
		ps.d.SetMaxTemporalLayer(tid)
		ps.target = tid
		if tid < 0 || tid >= 2 {
			ps.target = allTemporalLayers
		}
	case r < 0.22:
		ps.paused = !ps.paused
		ps.d.SetPaused(ps.paused)
	}
}

func (ps *propSlot) before(p *propPkt) { ps.lastDelivered = p }

// after records whether the slot processed p (its decision logic saw it).
func (ps *propSlot) after(t *testing.T, p *propPkt) {
	m := ps.d.munger
	st := ps.stint
	if st == nil || ps.paused || m.pending || !m.anchored || ps.d.Source() != ps.srcs[p.frame.src].l.r || st.src.i != p.frame.src {
		return
	}
	if m.stint != st.id {
		t.Fatalf("slot %d: stint %d changed without output", ps.i, m.stint)
	}
	if p.frame.idx >= st.anchorFrame { // else dropped as too old
		ps.process(p)
	}
}

// process records that the slot's decision logic saw p.
func (ps *propSlot) process(p *propPkt) {
	st, f := ps.stint, p.frame
	st.processed[p] = true
	if _, ok := st.firstAt[f.idx]; !ok {
		st.firstAt[f.idx] = p.delivered
		st.targetAt[f.idx] = ps.target
		if f.idx > st.newest {
			st.newest = f.idx
			st.seenNewest[f.idx] = true
		}
	}
}

// wrote checks one packet the slot wrote.
func (ps *propSlot) wrote(p rtp.Packet) {
	t := ps.t
	if ps.retransmitting {
		ps.retx = append(ps.retx, p)
		return
	}
	d := ps.d
	now := ps.clock.Now()
	padding := len(p.Payload) == 0
	var src *propSource
	var in *propPkt
	if padding {
		if !p.Padding {
			t.Fatalf("slot %d: empty packet without padding", ps.i)
		}
		in = ps.lastDelivered
		src = ps.srcs[in.frame.src]
	} else {
		tag, seq := tagOf(p.Payload)
		src = ps.srcs[tag-1]
		in = src.pkts[seq]
	}
	// 1. Source and stints.
	if d.Source() != src.l.r {
		t.Fatalf("slot %d: packet of source %d while the source is %p", ps.i, src.i, d.Source())
	}
	if id := d.munger.stint; ps.stint == nil || id != ps.stint.id {
		ps.newStint(t, p, id, src, in, now, padding)
	}
	st := ps.stint
	if st.src != src {
		t.Fatalf("slot %d: stint of source %d got a packet of %d", ps.i, st.src.i, src.i)
	}
	if in.frame.idx < st.anchorFrame {
		t.Fatalf("slot %d: frame %d before the stint's keyframe %d", ps.i, in.frame.idx, st.anchorFrame)
	}
	ps.process(in)
	// 2. Sequence numbers and holes.
	seq := p.SequenceNumber
	newMax := !ps.anyOut || int16(seq-ps.maxOut) > 0
	if newMax {
		for h := ps.maxOut + 1; ps.anyOut && h != seq; h++ {
			ps.checkHole(t, h, seq)
		}
		ps.anyOut, ps.maxOut = true, seq
	} else {
		hole, ok := ps.holes[seq]
		if !ok {
			t.Fatalf("slot %d: seq %d sent twice or out of nowhere (max %d)", ps.i, seq, ps.maxOut)
		}
		if hole.src != src.l.r || hole.in != in.seq {
			t.Fatalf("slot %d: hole %d filled by %d/%d, reserved for %d", ps.i, seq, src.i, in.seq, hole.in)
		}
		delete(ps.holes, seq)
	}
	v, inSeq, ok := d.munger.segs.lookup(seq, d.bound.Load().epoch)
	if !ok || v.src != src.l.r || inSeq != in.seq {
		t.Fatalf("slot %d: seq %d maps to %d (%v), sent %d of source %d", ps.i, seq, inSeq, ok, in.seq, src.i)
	}
	ps.sentBy[seq] = sentInfo{at: now, pkt: p, src: src.l.r, in: in.seq, padding: padding}
	if padding {
		if st.fwdPkts[in] || in.frame.idx == st.anchorFrame {
			t.Fatalf("slot %d: padding for a packet of a forwarded frame", ps.i)
		}
		return
	}
	// 3. Timestamps.
	if p.Timestamp-in.ts != st.tsOff {
		t.Fatalf("slot %d: ts offset %d, stint's %d", ps.i, p.Timestamp-in.ts, st.tsOff)
	}
	if newMax {
		ps.lastMaxTS, ps.lastMaxAt = p.Timestamp, now
	}
	// 4. VP8 numbering.
	desc := outVP8(t, sent{Packet: p})
	f := in.frame
	if pic, ok := st.outPic[f.idx]; ok && pic != desc.pic {
		t.Fatalf("slot %d: frame %d sent with picture ids %d and %d", ps.i, f.idx, pic, desc.pic)
	}
	st.outPic[f.idx] = desc.pic
	var inDesc vp8Desc
	inDesc.parse(in.payload)
	if !st.tl0Set {
		st.tl0Off, st.tl0Set = desc.tl0-inDesc.tl0, true
		if ps.lastTL0 >= 0 && desc.tl0 != uint8(ps.lastTL0+1) {
			t.Fatalf("slot %d: stint starts with tl0 %d after %d", ps.i, desc.tl0, ps.lastTL0)
		}
	}
	if desc.tl0-inDesc.tl0 != st.tl0Off {
		t.Fatalf("slot %d: tl0 offset changed within a stint", ps.i)
	}
	if f.idx == st.newest && newMax || ps.lastPic < 0 {
		ps.lastPic, ps.lastTL0, ps.lastPicMask = int(desc.pic), int(desc.tl0), 0x7FFF
		if !desc.pic15 {
			ps.lastPicMask = 0x7F
		}
	}
	// 5. Temporal layers.
	if f.tid > 0 && f.tid > st.targetAt[f.idx] {
		t.Fatalf("slot %d: frame %d of tid %d forwarded with limit %d", ps.i, f.idx, f.tid, st.targetAt[f.idx])
	}
	st.fwdPkts[in] = true
}

// checkHole checks a number skipped when seq was sent: it must map to a
// packet that had not reached the slot's decision logic, in the current
// stint (lost or delayed; or delivered before the stint's keyframe) or at the
// tail of the previous one (reserved before the switch or pause).
func (ps *propSlot) checkHole(t *testing.T, h, seq uint16) {
	d := ps.d
	v, inSeq, ok := d.munger.segs.lookup(h, d.bound.Load().epoch)
	st, prev := ps.stint, ps.prevStint
	var lp *propPkt
	switch {
	case !ok:
	case v.stint == st.id && v.src == st.src.l.r:
		lp = st.src.pkts[inSeq]
		if lp != nil && lp.delivered != 0 && lp.delivered > st.anchorDelivered {
			t.Fatalf("slot %d: hole %d maps to %d of source %d, which was delivered: a deliberate gap", ps.i, h, inSeq, st.src.i)
		}
	case prev != nil && v.stint == prev.id && v.src == prev.src.l.r:
		lp = prev.src.pkts[inSeq]
		if lp != nil && prev.processed[lp] {
			t.Fatalf("slot %d: hole %d at the tail of stint %d maps to a processed packet", ps.i, h, prev.id)
		}
	}
	if lp == nil {
		t.Fatalf("slot %d: hole %d (max %d, sent %d) maps to no packet of the stint: %v %+v\n%s", ps.i, h, ps.maxOut, seq, ok, v, dumpSegments(d))
	}
	ps.holes[h] = holeInfo{src: v.src, in: inSeq}
}

// newStint checks the first packet of a stint.
func (ps *propSlot) newStint(t *testing.T, p rtp.Packet, id uint16, src *propSource, in *propPkt, now time.Time, padding bool) {
	if padding || !in.frame.key || in != in.frame.pkts[0] || !isVP8Keyframe(p.Payload) {
		t.Fatalf("slot %d: stint %d does not start with a keyframe", ps.i, id)
	}
	if ps.stint != nil {
		ps.checkStint(t, ps.stint)
		want := uint32(now.Sub(ps.lastMaxAt) * 90000 / time.Second)
		if want == 0 {
			want = 1
		}
		if gap := p.Timestamp - ps.lastMaxTS; gap != want {
			t.Fatalf("slot %d: ts advanced %d at a stint start after %v, want %d", ps.i, gap, now.Sub(ps.lastMaxAt), want)
		}
		var desc vp8Desc
		desc.parse(p.Payload)
		mask := ps.lastPicMask // a 7-bit stint shows only the low bits of the counter
		if !desc.pic15 {
			mask = 0x7F
		}
		if desc.pic&mask != uint16(ps.lastPic+1)&mask {
			t.Fatalf("slot %d: stint starts with picture id %d after %d", ps.i, desc.pic, ps.lastPic)
		}
	}
	ps.prevStint = ps.stint
	ps.stint = &stintRec{
		id: id, src: src, anchorFrame: in.frame.idx, anchorDelivered: in.delivered, newest: in.frame.idx,
		seenNewest: map[int]bool{}, targetAt: map[int]int{in.frame.idx: ps.target}, firstAt: map[int]int{in.frame.idx: in.delivered},
		processed: map[*propPkt]bool{in: true}, fwdPkts: map[*propPkt]bool{}, outPic: map[int]uint16{},
		tsOff: p.Timestamp - in.ts,
	}
}

// checkStint checks the per-frame properties of a finished stint.
func (ps *propSlot) checkStint(t *testing.T, st *stintRec) {
	frames := st.src.frames
	prev := -1
	for idx := st.anchorFrame; idx <= st.newest; idx++ {
		f := frames[idx]
		fwd := false
		for _, p := range f.pkts {
			fwd = fwd || st.fwdPkts[p]
		}
		if !fwd {
			continue
		}
		for _, p := range f.pkts { // 5. whole frames
			if st.processed[p] && !st.fwdPkts[p] {
				t.Fatalf("slot %d: frame %d forwarded without its processed packet %d", ps.i, idx, p.seq)
			}
		}
		for _, r := range f.refs { // 5. references
			if at, seen := st.firstAt[r]; seen && at < st.firstAt[idx] && !frameForwarded(st, frames[r]) {
				t.Fatalf("slot %d: frame %d (tid %d) forwarded, its reference %d was dropped", ps.i, idx, f.tid, r)
			}
		}
		if prev >= 0 { // 4. picture ids
			dropped := 0
			for x := prev + 1; x < idx; x++ {
				if st.seenNewest[x] {
					dropped++
				}
			}
			mod := uint16(1 << 15)
			if st.src.gen.pic7 {
				mod = 128
			}
			want := (st.outPic[prev] + uint16(idx-prev-dropped)) & (mod - 1)
			if st.outPic[idx] != want {
				t.Fatalf("slot %d: frame %d picture id %d, want %d (prev frame %d, %d dropped)", ps.i, idx, st.outPic[idx], want, prev, dropped)
			}
		}
		prev = idx
	}
}

func frameForwarded(st *stintRec, f *propFrame) bool {
	for _, p := range f.pkts {
		if st.fwdPkts[p] {
			return true
		}
	}
	return false
}

// checkRetransmissions NACKs recently sent numbers and holes (6).
func (ps *propSlot) checkRetransmissions(t *testing.T) {
	d := ps.d
	b := d.bound.Load()
	ps.retransmitting = true
	defer func() { ps.retransmitting = false }()
	for back := uint16(0); back < 200; back++ {
		seq := ps.maxOut - back
		s, sent := ps.sentBy[seq]
		ps.retx = ps.retx[:0]
		d.nak.sent = [sentTableSize]sentEntry{}
		d.retransmit(b, seq, ps.clock.Now())
		if !sent {
			continue // a hole: whatever the cache has (nothing, or the late packet)
		}
		if len(ps.retx) == 0 {
			// The frame ring and the segment ring cover about two seconds.
			if ps.clock.Now().Sub(s.at) < time.Second {
				t.Fatalf("slot %d: no retransmission of %d (%d back), stats %+v", ps.i, seq, back, d.Stats())
			}
			continue
		}
		r := ps.retx[0]
		payload, osn := r.Payload, r.SequenceNumber
		if ps.rtx {
			osn, payload = binary.BigEndian.Uint16(payload), payload[2:]
		}
		if osn != seq || r.Timestamp != s.pkt.Timestamp || !bytes.Equal(payload, s.pkt.Payload) {
			t.Fatalf("slot %d: retransmission of %d: %d/%d %x, sent %d/%d %x", ps.i, seq, osn, r.Timestamp, payload, seq, s.pkt.Timestamp, s.pkt.Payload)
		}
	}
}

// finish checks the last stint and that the remaining holes still map to
// the packets they were reserved for.
func (ps *propSlot) finish(t *testing.T) {
	if ps.stint != nil {
		ps.checkStint(t, ps.stint)
	}
	ps.checkRetransmissions(t)
	b := ps.d.bound.Load()
	for h, hi := range ps.holes {
		if v, in, ok := ps.d.munger.segs.lookup(h, b.epoch); ok && (v.src != hi.src || in != hi.in) {
			t.Fatalf("slot %d: hole %d now maps to %d", ps.i, h, in)
		}
	}
}

func dumpSegments(d *DownTrack) string {
	var b bytes.Buffer
	h := d.munger.segs.head.Load()
	for k := range min(h, segmentRingSize) {
		v, _ := d.munger.segs.ring[(h-1-k)%segmentRingSize].load()
		fmt.Fprintf(&b, "seg %d: stint %d epoch %d first %d newest %d span %d off %d\n", h-1-k, v.stint, v.epoch, v.firstOut, v.newest, v.span, v.seqOffset)
	}
	return b.String()
}

package forwarder

const (
	// allTemporalLayers is the normalized "no limit" value of
	// SetMaxTemporalLayer; VP8 carries TID 0..3.
	allTemporalLayers = 3
	allLayersMask     = 0x0F
)

// SetMaxTemporalLayer limits forwarded VP8 frames to temporal layers 0..tid;
// -1 or tid >= 2 forwards all. Frames above the limit are dropped without
// leaving sequence or picture id gaps. A lower limit applies from the next
// frame (the current one completes); a higher one from the next frame of the
// newly allowed layer that carries the layer sync bit (Y), or the next
// keyframe, so the subscriber never gets a frame whose references it lacks.
// Safe from any goroutine; streams without temporal layer indices (or
// without picture ids, or other codecs) are not affected.
func (d *DownTrack) SetMaxTemporalLayer(tid int) {
	if tid < 0 || tid >= 2 {
		tid = allTemporalLayers
	}
	d.maxTemporal.Store(int32(tid))
}

// vp8State numbers the outgoing VP8 frames of a DownTrack so that picture
// ids (+1 per forwarded frame), TL0PICIDX and KEYIDX stay continuous across
// dropped frames, pauses and source switches. Guarded by the DownTrack's
// mutex; the decisions are published in DownTrack.frames.
type vp8State struct {
	// Continuous across stints; cleared when the munger resets (new SSRC).
	picStarted, tl0Started, keyStarted bool
	lastPic                            uint16 // 15-bit counter
	lastTL0, lastKeyIdx                uint8

	// The current stint (one source, from one anchor to the next).
	stint      uint16
	haveNewest bool
	newestPic  uint16 // incoming picture id of the newest frame
	newestFwd  bool
	newestNums vp8Numbers
	// baseIn/baseOut number the frames after the newest one: a frame Δ
	// pictures after baseIn gets baseOut+Δ.
	baseIn, baseOut uint16
	tl0Set, keySet  bool
	tl0Off, keyOff  uint8
	// synced has bit t set while temporal layer t can be forwarded: every
	// frame of layers 1..t since the sync point syncFrom[t] (a keyframe or a
	// layer-t frame with Y) was forwarded, unless never seen.
	synced   uint8
	syncFrom [4]uint16
	// lastPkt is the picture id of the newest packet handled, so a dropped
	// packet knows whether the numbers missing before it belong to its own
	// dropped frame.
	lastPkt      uint16
	lastPktValid bool
}

// anchor starts a stint at a keyframe with picture id pic.
func (v *vp8State) anchor(stint, pic uint16) {
	v.stint = stint
	v.haveNewest, v.tl0Set, v.keySet, v.lastPktValid = false, false, false, false
	v.synced = allLayersMask
	v.syncFrom = [4]uint16{pic, pic, pic, pic}
}

// numbers computes the outgoing TL0PICIDX and KEYIDX of a frame with picture
// id out. The offsets are fixed for a stint at its first value: the first
// continues from the previous stint's last value + 1 (a stint starts with a
// keyframe, which starts a new TL0 picture).
func (v *vp8State) numbers(desc *vp8Desc, out uint16) vp8Numbers {
	n := vp8Numbers{pic: out & 0x7FFF}
	if desc.hasTL0 {
		if !v.tl0Set {
			v.tl0Set, v.tl0Off = true, 0
			if v.tl0Started {
				v.tl0Off = v.lastTL0 + 1 - desc.tl0
			}
		}
		n.tl0 = desc.tl0 + v.tl0Off
	}
	if desc.hasKey {
		if !v.keySet {
			v.keySet, v.keyOff = true, 0
			if v.keyStarted {
				v.keyOff = v.lastKeyIdx + 1 - desc.keyIdx
			}
		}
		n.keyIdx = (desc.keyIdx + v.keyOff) & 0x1F
	}
	return n
}

// forwarded records the numbers of the newest forwarded frame.
func (v *vp8State) forwarded(desc *vp8Desc, n vp8Numbers) {
	if desc.hasPic {
		v.lastPic, v.picStarted = n.pic, true
	}
	if desc.hasTL0 {
		v.lastTL0, v.tl0Started = n.tl0, true
	}
	if desc.hasKey {
		v.lastKeyIdx, v.keyStarted = n.keyIdx, true
	}
}

// decide applies the temporal-layer limit to a new newest frame.
func (v *vp8State) decide(desc *vp8Desc, target uint8) bool {
	if desc.keyframe {
		v.synced = allLayersMask
		v.syncFrom = [4]uint16{desc.pic, desc.pic, desc.pic, desc.pic}
		return true
	}
	if !desc.hasTID || desc.tid == 0 {
		return true
	}
	t := desc.tid
	switch {
	case t > target:
	case v.synced&(1<<t) != 0:
		return true
	case desc.sync: // switch up: this frame needs only the base layer
		v.synced |= 1 << t
		v.syncFrom[t] = desc.pic
		return true
	}
	// Frames of layer t and above may reference this one: they wait for
	// their next sync point.
	v.synced &^= allLayersMask << t & allLayersMask
	return false
}

// decideLate applies the limit to a frame first seen after a newer one: it
// is forwarded only if its layer has been in sync since before it, so that
// everything it references was forwarded (or never seen). It never brings a
// layer into sync (newer frames of the layer were decided without it), but
// dropping it takes the layer out, as newer frames may reference it.
func (v *vp8State) decideLate(desc *vp8Desc, target uint8) bool {
	if desc.keyframe || !desc.hasTID || desc.tid == 0 {
		return true
	}
	t := desc.tid
	if t <= target && v.synced&(1<<t) != 0 && picDiff(desc.pic, v.syncFrom[t], desc.picMod()) > 0 {
		return true
	}
	v.synced &^= allLayersMask << t & allLayersMask
	return false
}

// decideVP8 decides whether the frame of a packet with descriptor desc and
// timestamp ts is forwarded and with which numbers.
// force forwards the stint's first frame whatever its layer. d.mu held.
func (d *DownTrack) decideVP8(desc *vp8Desc, ts uint32, force bool) (bool, vp8Numbers) {
	v := &d.fw.vp8
	if !desc.hasPic {
		// No frame identity: forward everything, keep TL0PICIDX/KEYIDX continuous.
		return true, v.numbers(desc, 0)
	}
	target := uint8(d.maxTemporal.Load())
	mod := desc.picMod()
	diff := 1
	if v.haveNewest {
		diff = picDiff(desc.pic, v.newestPic, mod)
	} else {
		v.baseIn, v.baseOut = desc.pic, desc.pic
		if v.picStarted {
			v.baseOut = v.lastPic + 1
		}
	}
	switch {
	case diff > 0: // a new newest frame
		out := (v.baseOut + uint16(picDiff(desc.pic, v.baseIn, mod))) & 0x7FFF
		fwd := v.decide(desc, target) || force
		n := v.numbers(desc, out)
		v.haveNewest, v.newestPic, v.newestFwd, v.newestNums = true, desc.pic, fwd, n
		v.baseIn, v.baseOut = desc.pic, out
		if fwd {
			v.forwarded(desc, n)
		} else {
			v.baseOut = (out - 1) & 0x7FFF // the next frame takes this one's id
		}
		d.frames.add(frameEntry{stint: v.stint, in: desc.pic, ts: ts, out: v.baseOut, tl0: n.tl0, keyIdx: n.keyIdx, fwd: fwd})
		return fwd, n
	case diff == 0:
		return v.newestFwd, v.newestNums
	}
	if e, ok := d.frames.find(v.stint, desc.pic, ts); ok {
		return e.fwd, e.numbers()
	}
	// A frame first seen after a newer one: it takes the id after its
	// predecessor's, which no other frame took.
	prev, ok := d.frames.before(v.stint, desc.pic, mod)
	if !ok {
		return false, vp8Numbers{} // before the stint: the munger refuses it too
	}
	out := (prev.out + uint16(picDiff(desc.pic, prev.in, mod))) & 0x7FFF
	fwd := v.decideLate(desc, target)
	n := v.numbers(desc, out)
	// Even when dropped it keeps its id: the newer frames are numbered already.
	d.frames.add(frameEntry{stint: v.stint, in: desc.pic, ts: ts, out: out, tl0: n.tl0, keyIdx: n.keyIdx, fwd: fwd})
	return fwd, n
}

// forwardVP8 forwards, drops or pads one VP8 packet of the current source,
// rewriting its descriptor. d.mu held.
func (d *DownTrack) forwardVP8(b *binding, p *packet, pt uint8) {
	fw, m, desc := &d.fw, d.munger, &p.vp8
	v := &fw.vp8
	if m.needsAnchor() {
		seq, ts, _ := m.update(p.sequenceNumber, p.timestamp, p.arrival)
		v.anchor(m.stint, desc.pic)
		_, n := d.decideVP8(desc, p.timestamp, true)
		v.lastPkt, v.lastPktValid = desc.pic, desc.hasPic
		d.send(b, p, pt, seq, ts, desc.rewrite(fw.scratch[:], p.payload, n))
		return
	}
	newest := m.isNewest(p.sequenceNumber)
	fwd, n := d.decideVP8(desc, p.timestamp, false)
	// Numbers missing right before a dropped packet of the frame the previous
	// newest packet belonged to are packets of the same dropped frame.
	absorbGap := newest && !fwd && desc.hasPic && v.lastPktValid && v.lastPkt == desc.pic
	if newest {
		v.lastPkt, v.lastPktValid = desc.pic, desc.hasPic
	}
	if !fwd {
		fw.n.dropped++
		fw.n.layerDrops++
		if seq, ts, res := m.drop(p.sequenceNumber, p.timestamp, absorbGap); res == mungeForward {
			d.sendPadding(b, pt, seq, ts)
		}
		return
	}
	seq, ts, res := m.update(p.sequenceNumber, p.timestamp, p.arrival)
	if res != mungeForward {
		fw.n.dropped++
		return
	}
	d.send(b, p, pt, seq, ts, desc.rewrite(fw.scratch[:], p.payload, n))
}

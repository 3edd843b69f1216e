package forwarder

import "encoding/binary"

// vp8Desc is the parsed RFC 7741 payload descriptor of one VP8 packet. The
// Receiver fills it once per packet (packet.vp8); DownTracks read it to make
// temporal-layer decisions and to rewrite the numbering fields.
//
//	 0 1 2 3 4 5 6 7
//	|X|R|N|S|R| PID |  X: extended control bits follow
//	|I|L|T|K| RSV   |  (if X)
//	|M| PictureID   |  (if I; 7 or 15 bits)
//	|   TL0PICIDX   |  (if L)
//	|TID|Y| KEYIDX  |  (if T or K)
type vp8Desc struct {
	ok       bool  // the descriptor fits the payload
	size     uint8 // descriptor length in bytes
	start    bool  // S=1 and PID=0: first packet of a frame
	keyframe bool  // start, and the VP8 payload header's P bit is clear

	hasPic bool
	pic15  bool   // M: the picture id is 15 bits long (else 7)
	pic    uint16 // picture id as sent (7 or 15 bits)
	hasTL0 bool
	tl0    uint8
	hasTID bool // T
	tid    uint8
	sync   bool // Y: the frame depends on the base layer only
	hasKey bool // K
	keyIdx uint8

	picOff, tl0Off, tkOff uint8 // byte offsets of the fields
}

// parse fills d from payload; it never allocates. d.ok is false when the
// descriptor does not fit (or the payload is empty, e.g. a padding packet).
func (d *vp8Desc) parse(payload []byte) {
	*d = vp8Desc{}
	if len(payload) < 1 {
		return
	}
	b0 := payload[0]
	i := 1
	if b0&0x80 != 0 { // X
		if len(payload) <= i {
			return
		}
		x := payload[i]
		i++
		if x&0x80 != 0 { // I
			if len(payload) <= i {
				return
			}
			d.hasPic, d.picOff = true, uint8(i)
			if payload[i]&0x80 != 0 {
				if len(payload) <= i+1 {
					return
				}
				d.pic15 = true
				d.pic = binary.BigEndian.Uint16(payload[i:]) & 0x7FFF
				i += 2
			} else {
				d.pic = uint16(payload[i] & 0x7F)
				i++
			}
		}
		if x&0x40 != 0 { // L
			if len(payload) <= i {
				return
			}
			d.hasTL0, d.tl0Off, d.tl0 = true, uint8(i), payload[i]
			i++
		}
		if x&0x30 != 0 { // T or K
			if len(payload) <= i {
				return
			}
			tk := payload[i]
			d.tkOff = uint8(i)
			if x&0x20 != 0 {
				d.hasTID, d.tid, d.sync = true, tk>>6, tk&0x20 != 0
			}
			if x&0x10 != 0 {
				d.hasKey, d.keyIdx = true, tk&0x1F
			}
			i++
		}
	}
	d.ok, d.size = true, uint8(i)
	d.start = b0&0x10 != 0 && b0&0x07 == 0
	// VP8 payload header: bit 0 of the first byte is P, the inverse key frame flag.
	d.keyframe = d.start && len(payload) > i && payload[i]&0x01 == 0
}

// picMod is the picture id modulus of d's width.
func (d *vp8Desc) picMod() uint16 {
	if d.pic15 {
		return 1 << 15
	}
	return 1 << 7
}

// picDiff returns a-b as a signed distance in the picture id space of width
// mod (128 or 32768).
func picDiff(a, b, mod uint16) int {
	diff := int((a - b) & (mod - 1))
	if diff >= int(mod/2) {
		diff -= int(mod)
	}
	return diff
}

// vp8Numbers are the values a DownTrack writes into a descriptor.
type vp8Numbers struct {
	pic    uint16 // 15-bit counter; 7-bit descriptors get its low 7 bits
	tl0    uint8
	keyIdx uint8 // 5 bits
}

// same reports whether writing n would leave payload's descriptor unchanged.
func (d *vp8Desc) same(n vp8Numbers) bool {
	if d.hasPic {
		if d.pic15 && n.pic&0x7FFF != d.pic || !d.pic15 && n.pic&0x7F != d.pic {
			return false
		}
	}
	return (!d.hasTL0 || n.tl0 == d.tl0) && (!d.hasKey || n.keyIdx&0x1F == d.keyIdx)
}

// patch writes n into the descriptor at the start of b, a copy of the payload
// d was parsed from. A 7-bit picture id stays 7 bits (the low bits of the
// continuous 15-bit counter) so the descriptor keeps its length; a 15-bit one
// is written as 15 bits.
func (d *vp8Desc) patch(b []byte, n vp8Numbers) {
	if d.hasPic {
		o := d.picOff
		if d.pic15 {
			b[o] = 0x80 | byte(n.pic>>8)&0x7F
			b[o+1] = byte(n.pic)
		} else {
			b[o] = byte(n.pic) & 0x7F
		}
	}
	if d.hasTL0 {
		b[d.tl0Off] = n.tl0
	}
	if d.hasKey {
		b[d.tkOff] = b[d.tkOff]&0xE0 | n.keyIdx&0x1F
	}
}

// rewrite returns payload with n written into its descriptor: payload itself
// when nothing changes, else a copy in scratch (the payload is shared with the
// Receiver's other DownTracks and must not be modified). scratch must hold
// len(payload) bytes.
func (d *vp8Desc) rewrite(scratch, payload []byte, n vp8Numbers) []byte {
	if d.same(n) {
		return payload
	}
	out := scratch[:copy(scratch, payload)]
	d.patch(out, n)
	return out
}

// vp8Dimensions reads the frame size from the first packet of a VP8
// keyframe: after the descriptor come the 3-byte frame tag, the start code
// 9d 01 2a, and 14-bit little-endian width and height (the top two bits are
// the scaling mode).
func vp8Dimensions(payload []byte, d *vp8Desc) (w, h int, ok bool) {
	if !d.keyframe {
		return 0, 0, false
	}
	b := payload[d.size:]
	if len(b) < 10 || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
		return 0, 0, false
	}
	w = int(binary.LittleEndian.Uint16(b[6:]) & 0x3FFF)
	h = int(binary.LittleEndian.Uint16(b[8:]) & 0x3FFF)
	return w, h, w > 0 && h > 0
}

package ssrcsim

import "encoding/binary"

// RFC 8285 header extension profiles pion's RTP parser understands.
const (
	profileOneByte = 0xBEDE
	profileTwoByte = 0x1000
)

// outcome is what stamp did with one packet.
type outcome uint8

const (
	stamped     outcome = iota
	present             // the packet already carries the MID or RID element
	noRoom              // the caller's buffer cannot hold the extra bytes
	unstampable         // malformed header or an extension block that cannot be extended
)

// elements are one SSRC's MID and RID (or repaired-RID) extension elements,
// encoded once by Stamper.Set for both RFC 8285 forms.
type elements struct {
	one []byte   // one-byte form; nil when an ID is over 14 or a value over 16 bytes
	two []byte   // two-byte form
	ids [2]uint8 // MID and RID/repaired-RID IDs
}

func newElements(midID, ridID uint8, mid, rid string) elements {
	e := elements{ids: [2]uint8{midID, ridID}}
	if midID <= 14 && ridID <= 14 && len(mid) <= 16 && len(rid) <= 16 {
		e.one = append(e.one, midID<<4|byte(len(mid)-1))
		e.one = append(e.one, mid...)
		e.one = append(e.one, ridID<<4|byte(len(rid)-1))
		e.one = append(e.one, rid...)
	}
	e.two = append(e.two, midID, byte(len(mid)))
	e.two = append(e.two, mid...)
	e.two = append(e.two, ridID, byte(len(rid)))
	e.two = append(e.two, rid...)
	return e
}

// stamp adds e to the RTP packet b[:n], moving the payload to make room, and
// returns the packet's new length. len(b) is all the room there is: a
// packet that would not fit is left as it was. It does not allocate.
func stamp(b []byte, n int, e *elements) (int, outcome) {
	if n < 12 || n > len(b) || b[0]>>6 != 2 {
		return n, unstampable
	}
	hdr := 12 + 4*int(b[0]&0x0f)
	if n < hdr {
		return n, unstampable
	}
	if b[0]&0x10 == 0 { // no extension block yet: insert one
		if !paddingOK(b, hdr, n) {
			return n, unstampable
		}
		el, profile := e.one, uint16(profileOneByte)
		if el == nil {
			el, profile = e.two, profileTwoByte
		}
		words := (len(el) + 3) / 4
		grow := 4 + 4*words
		if n+grow > len(b) {
			return n, noRoom
		}
		copy(b[hdr+grow:n+grow], b[hdr:n])
		binary.BigEndian.PutUint16(b[hdr:], profile)
		binary.BigEndian.PutUint16(b[hdr+2:], uint16(words))
		w := copy(b[hdr+4:], el)
		clear(b[hdr+4+w : hdr+grow])
		b[0] |= 0x10
		return n + grow, stamped
	}
	if n < hdr+4 {
		return n, unstampable
	}
	profile := binary.BigEndian.Uint16(b[hdr:])
	words := int(binary.BigEndian.Uint16(b[hdr+2:]))
	start, end := hdr+4, hdr+4+4*words
	if end > n || !paddingOK(b, end, n) {
		return n, unstampable
	}
	var el []byte
	switch profile {
	case profileOneByte:
		el = e.one
	case profileTwoByte:
		el = e.two
	}
	if el == nil {
		return n, unstampable
	}
	used, has, ok := scanElements(b[start:end], profile == profileTwoByte, e.ids)
	switch {
	case !ok:
		return n, unstampable
	case has:
		return n, present
	}
	newWords := max(words, (used+len(el)+3)/4)
	if newWords > 0xffff {
		return n, unstampable
	}
	grow := 4 * (newWords - words)
	if n+grow > len(b) {
		return n, noRoom
	}
	// Append after the last element (padding may sit between elements, but
	// reusing it keeps the block short).
	copy(b[end+grow:n+grow], b[end:n])
	w := copy(b[start+used:], el)
	clear(b[start+used+w : end+grow])
	binary.BigEndian.PutUint16(b[hdr+2:], uint16(newWords))
	return n + grow, stamped
}

// paddingOK checks that a packet with the P bit has a padding count that
// fits after its header (which ends at hdrEnd), as pion's parser demands.
func paddingOK(b []byte, hdrEnd, n int) bool {
	if b[0]&0x20 == 0 {
		return true
	}
	pad := int(b[n-1])
	return pad > 0 && hdrEnd+pad <= n
}

// scanElements walks an extension block the way pion's parser does and
// returns the offset just after its last element and whether an element
// has one of ids. ok is false when the block is malformed or holds a
// one-byte element with the reserved ID 15 or with ID 0 and a length (not
// a padding byte): pion's parser stops there and would miss what follows.
func scanElements(ext []byte, twoByte bool, ids [2]uint8) (used int, has, ok bool) {
	for i := 0; i < len(ext); {
		if ext[i] == 0 { // padding
			i++
			continue
		}
		var id uint8
		var l int
		if twoByte {
			if i+2 > len(ext) {
				return 0, false, false
			}
			id, l = ext[i], int(ext[i+1])
			i += 2
		} else {
			id, l = ext[i]>>4, int(ext[i]&0x0f)+1
			i++
			if id == 15 || id == 0 { // pion's parser stops at both
				return 0, false, false
			}
		}
		if i+l > len(ext) {
			return 0, false, false
		}
		i += l
		used = i
		if id == ids[0] || id == ids[1] {
			has = true
		}
	}
	return used, has, true
}

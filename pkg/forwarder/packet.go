package forwarder

import (
	"encoding/binary"
	"time"
)

const (
	rtpHeaderSize = 12
	// extProfileOneByte and extProfileTwoByte are the RFC 8285 profiles. The
	// two-byte profile carries 4 application bits in its low nibble.
	extProfileOneByte     = 0xBEDE
	extProfileTwoByteMask = 0xFFF0
	extProfileTwoByte     = 0x1000
)

// packet is the parsed form of one RTP packet. It is filled once per packet by
// unmarshal and passed by pointer along the hot path; nothing in it is copied or
// allocated. The slices alias the raw datagram and are only valid until the
// owner parses the next packet.
//
// The Receiver's instance is owned by its read goroutine; each DownTrack owns
// a second instance for retransmissions on its RTCP goroutine.
type packet struct {
	raw     []byte // the whole datagram as received
	payload []byte // payload without padding

	arrival time.Time // when the receiver handled it (injected clock)

	timestamp      uint32
	ssrc           uint32
	sequenceNumber uint16
	payloadType    uint8
	marker         bool

	// keyframe is set by the Receiver when this packet starts a keyframe.
	keyframe bool
	// vp8 is the VP8 payload descriptor, parsed by the Receiver for VP8
	// streams (vp8.ok is false otherwise).
	vp8 vp8Desc

	// audioLevel is the RFC 6464 byte (V flag and level) found under the
	// publisher's audio-level extension ID, when hasAudioLevel.
	hasAudioLevel bool
	audioLevel    uint8
}

// unmarshal parses raw into p without allocating. audioLevelID is the
// publisher's negotiated ID for the audio-level extension (0: not negotiated).
// Malformed individual extension elements are tolerated, because extensions
// are never forwarded as they are; an extension block or padding that does not
// fit the packet is an error.
func (p *packet) unmarshal(raw []byte, audioLevelID uint8) error {
	if len(raw) < rtpHeaderSize {
		return errShortPacket
	}
	b0 := raw[0]
	if b0>>6 != 2 {
		return errBadVersion
	}
	hasPadding := b0&0x20 != 0
	hasExtension := b0&0x10 != 0
	offset := rtpHeaderSize + 4*int(b0&0x0F)
	if len(raw) < offset {
		return errShortPacket
	}

	p.hasAudioLevel = false
	if hasExtension {
		if len(raw) < offset+4 {
			return errShortPacket
		}
		profile := binary.BigEndian.Uint16(raw[offset:])
		extEnd := offset + 4 + 4*int(binary.BigEndian.Uint16(raw[offset+2:]))
		if len(raw) < extEnd {
			return errShortPacket
		}
		if audioLevelID != 0 {
			p.findAudioLevel(raw[offset+4:extEnd], profile, audioLevelID)
		}
		offset = extEnd
	}

	end := len(raw)
	if hasPadding {
		if end <= offset {
			return errBadPadding
		}
		pad := int(raw[end-1])
		if pad == 0 || end-pad < offset {
			return errBadPadding
		}
		end -= pad
	}

	p.raw = raw
	p.payload = raw[offset:end]
	p.marker = raw[1]&0x80 != 0
	p.payloadType = raw[1] & 0x7F
	p.sequenceNumber = binary.BigEndian.Uint16(raw[2:])
	p.timestamp = binary.BigEndian.Uint32(raw[4:])
	p.ssrc = binary.BigEndian.Uint32(raw[8:])
	p.keyframe = false
	p.vp8.ok = false
	return nil
}

// findAudioLevel scans an RFC 8285 extension block for id and records the
// first byte of its value.
func (p *packet) findAudioLevel(ext []byte, profile uint16, id uint8) {
	twoByte := profile&extProfileTwoByteMask == extProfileTwoByte
	if profile != extProfileOneByte && !twoByte {
		return
	}
	for i := 0; i < len(ext); {
		if ext[i] == 0 { // padding between elements
			i++
			continue
		}
		var eid uint8
		var n int
		if twoByte {
			if i+1 >= len(ext) {
				return
			}
			eid, n = ext[i], int(ext[i+1])
			i += 2
		} else {
			eid, n = ext[i]>>4, int(ext[i]&0x0F)+1
			if eid == 15 { // reserved: stop parsing, RFC 8285 §4.2
				return
			}
			i++
		}
		if i+n > len(ext) {
			return
		}
		if eid == id && n >= 1 {
			p.hasAudioLevel = true
			p.audioLevel = ext[i]
			return
		}
		i += n
	}
}

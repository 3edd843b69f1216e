package forwarder

import (
	"encoding/binary"
	"strings"

	"github.com/pion/webrtc/v4"
)

// codecKind selects the keyframe detector for an upstream codec.
type codecKind uint8

const (
	codecUnknown codecKind = iota // no detector: forward without waiting
	codecVP8
	codecVP9
	codecH264
)

// codecKindOf maps a mime type to its keyframe detector.
func codecKindOf(mimeType string) codecKind {
	switch {
	case strings.EqualFold(mimeType, webrtc.MimeTypeVP8):
		return codecVP8
	case strings.EqualFold(mimeType, webrtc.MimeTypeVP9):
		return codecVP9
	case strings.EqualFold(mimeType, webrtc.MimeTypeH264):
		return codecH264
	default:
		return codecUnknown
	}
}

// isKeyframe reports whether payload (an RTP payload without padding) is the
// first packet of a keyframe. Truncated payloads are never keyframes.
func isKeyframe(kind codecKind, payload []byte) bool {
	switch kind {
	case codecVP8:
		return isVP8Keyframe(payload)
	case codecVP9:
		return isVP9Keyframe(payload)
	case codecH264:
		return isH264Keyframe(payload)
	default:
		return false
	}
}

// isVP8Keyframe parses the RFC 7741 payload descriptor (see vp8Desc) and
// checks the P bit of the VP8 payload header, which is only present at the
// start (S=1) of partition 0.
func isVP8Keyframe(payload []byte) bool {
	var d vp8Desc
	d.parse(payload)
	return d.keyframe
}

// isVP9Keyframe checks the VP9 payload descriptor
// (draft-ietf-payload-vp9 / RFC 9628): a keyframe starts where a frame begins
// (B) without inter-picture prediction (P clear), in spatial layer 0.
//
//	|I|P|L|F|B|E|V|Z|
//	|M| PICTURE ID  |  (if I; 7 or 15 bits)
//	|TID|U| SID |D  |  (if L)
func isVP9Keyframe(payload []byte) bool {
	if len(payload) < 1 {
		return false
	}
	b0 := payload[0]
	if b0&0x40 != 0 || b0&0x08 == 0 { // P set, or not the beginning of a frame
		return false
	}
	if b0&0x20 == 0 { // no layer indices: a single spatial layer
		return true
	}
	i := 1
	if b0&0x80 != 0 { // I
		if len(payload) <= i {
			return false
		}
		if payload[i]&0x80 != 0 {
			i++
		}
		i++
	}
	if len(payload) <= i {
		return false
	}
	return (payload[i]>>1)&0x07 == 0 // SID 0
}

const (
	h264NALIDR   = 5
	h264NALSPS   = 7
	h264NALSTAPA = 24
	h264NALFUA   = 28
)

func h264KeyNAL(nalType byte) bool { return nalType == h264NALIDR || nalType == h264NALSPS }

// isH264Keyframe checks RFC 6184 payloads: a single NAL unit of type IDR or
// SPS, a STAP-A aggregating one, or the first fragment of an FU-A carrying one.
func isH264Keyframe(payload []byte) bool {
	if len(payload) < 1 {
		return false
	}
	switch nalType := payload[0] & 0x1F; nalType {
	case h264NALSTAPA:
		for i := 1; i+2 < len(payload); {
			size := int(binary.BigEndian.Uint16(payload[i:]))
			i += 2
			if size == 0 || i+size > len(payload) {
				return false
			}
			if h264KeyNAL(payload[i] & 0x1F) {
				return true
			}
			i += size
		}
		return false
	case h264NALFUA:
		if len(payload) < 2 {
			return false
		}
		fuHeader := payload[1]
		return fuHeader&0x80 != 0 && h264KeyNAL(fuHeader&0x1F)
	default:
		return h264KeyNAL(nalType)
	}
}

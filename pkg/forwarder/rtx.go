package forwarder

import "encoding/binary"

// rtxPayload writes the RFC 4588 §4 retransmission payload into dst: the
// original sequence number (as the subscriber knows it, i.e. munged) followed
// by the original payload. dst must hold len(payload)+2 bytes.
func rtxPayload(dst []byte, osn uint16, payload []byte) []byte {
	binary.BigEndian.PutUint16(dst, osn)
	n := copy(dst[2:], payload)
	return dst[:2+n]
}

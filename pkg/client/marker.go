package client

import (
	"encoding/binary"
	"errors"
	"time"
)

// MarkerSize is the size of the trailer every synthetic payload ends with.
const MarkerSize = 24

var markerMagic = [4]byte{'S', 'Y', 'M', '1'}

// ErrNoMarker means a payload does not end with a Marker.
var ErrNoMarker = errors.New("payload has no switchyard marker")

// Marker identifies a synthetic packet: which source sent it, its position
// in that source's packet sequence, and when it was sent.
type Marker struct {
	SourceID uint32
	Seq      uint32
	SentAt   time.Time
	// Layer is the simulcast layer (0 lowest; 0 when not simulcast).
	Layer uint8
}

// PutMarker writes m into the last MarkerSize bytes of payload.
func PutMarker(payload []byte, m Marker) {
	b := payload[len(payload)-MarkerSize:]
	copy(b[0:4], markerMagic[:])
	binary.BigEndian.PutUint32(b[4:8], m.SourceID)
	binary.BigEndian.PutUint32(b[8:12], m.Seq)
	binary.BigEndian.PutUint64(b[12:20], uint64(m.SentAt.UnixNano()))
	b[20] = m.Layer
	b[21], b[22], b[23] = 0, 0, 0
}

// ParseMarker reads the Marker at the end of payload.
func ParseMarker(payload []byte) (Marker, error) {
	if len(payload) < MarkerSize {
		return Marker{}, ErrNoMarker
	}
	b := payload[len(payload)-MarkerSize:]
	if [4]byte(b[0:4]) != markerMagic {
		return Marker{}, ErrNoMarker
	}
	return Marker{
		SourceID: binary.BigEndian.Uint32(b[4:8]),
		Seq:      binary.BigEndian.Uint32(b[8:12]),
		SentAt:   time.Unix(0, int64(binary.BigEndian.Uint64(b[12:20]))),
		Layer:    b[20],
	}, nil
}

package ssrcsim

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/pion/interceptor"
)

// StampPackets is how many packets of each incoming stream the Stamper
// stamps. pion binds a stream to its track (or RTX to its track) on the
// first packet it reads through the interceptor chain that carries MID and
// RID, and never looks again, so stamping can stop soon after; the margin
// covers packets that did not fit the reader's buffer. Only packets that
// were stamped (or already carried the elements) count.
const StampPackets = 32

// Stamper is a pion interceptor that writes the MID and RID header
// extensions (repaired RID for RTX) into the first packets of the SSRCs
// that Set declared, so pion demultiplexes SSRC-signalled simulcast as if
// the client had sent RID simulcast. Packets of other SSRCs pass untouched.
//
// It is both the interceptor.Factory and the interceptor: NewInterceptor
// returns the Stamper itself, so use one Stamper (and one webrtc.API) per
// PeerConnection, and add it to the registry first so that nothing before
// it caches a parsed header it then changes.
type Stamper struct {
	interceptor.NoOp
	// table is replaced as a whole by Set and read without a lock by every
	// stream reader; a published table is never modified.
	table       atomic.Pointer[map[uint32]elements]
	stamped     atomic.Uint64
	noRoom      atomic.Uint64
	unstampable atomic.Uint64
}

// StamperStats are totals since NewStamper.
type StamperStats struct {
	Stamped     uint64 // packets that got the elements
	NoRoom      uint64 // packets of a declared SSRC left as they were: the reader's buffer had no room
	Unstampable uint64 // packets of a declared SSRC with a malformed header or a block that cannot be extended
}

var _ interceptor.Factory = (*Stamper)(nil)

// NewStamper returns a Stamper with no SSRCs.
func NewStamper() *Stamper { return &Stamper{} }

// NewInterceptor implements interceptor.Factory.
func (s *Stamper) NewInterceptor(string) (interceptor.Interceptor, error) { return s, nil }

// Set replaces the SSRC table with the layers of the latest rewritten SDP
// (Result.Layers and Result.Ext). Call it before SetRemoteDescription, so
// the table is in place when the first packet of a new SSRC arrives.
// Streams pion already bound are not affected. Set(nil, Extensions{})
// clears the table.
func (s *Stamper) Set(layers []Layer, ext Extensions) error {
	t := make(map[uint32]elements, 2*len(layers))
	for _, l := range layers {
		if l.SSRC == 0 || l.MID == "" || l.RID == "" || len(l.MID) > 255 || len(l.RID) > 255 {
			return fmt.Errorf("%w: %+v", ErrInvalidLayers, l)
		}
		if ext.MID == 0 || ext.RID == 0 || ext.MID == ext.RID {
			return fmt.Errorf("%w: extension IDs %+v", ErrInvalidLayers, ext)
		}
		if err := add(t, l.SSRC, newElements(ext.MID, ext.RID, l.MID, l.RID)); err != nil {
			return err
		}
		if l.RTXSSRC == 0 {
			continue
		}
		if ext.RepairedRID == 0 || ext.RepairedRID == ext.MID || ext.RepairedRID == ext.RID {
			return fmt.Errorf("%w: extension IDs %+v", ErrInvalidLayers, ext)
		}
		if err := add(t, l.RTXSSRC, newElements(ext.MID, ext.RepairedRID, l.MID, l.RID)); err != nil {
			return err
		}
	}
	s.table.Store(&t)
	return nil
}

func add(t map[uint32]elements, ssrc uint32, e elements) error {
	if _, dup := t[ssrc]; dup {
		return fmt.Errorf("%w: SSRC %d declared twice", ErrInvalidLayers, ssrc)
	}
	t[ssrc] = e
	return nil
}

// Stats returns the Stamper's counters.
func (s *Stamper) Stats() StamperStats {
	return StamperStats{Stamped: s.stamped.Load(), NoRoom: s.noRoom.Load(), Unstampable: s.unstampable.Load()}
}

// BindRemoteStream implements interceptor.Interceptor.
func (s *Stamper) BindRemoteStream(_ *interceptor.StreamInfo, next interceptor.RTPReader) interceptor.RTPReader {
	return &streamReader{s: s, next: next}
}

// streamReader stamps one remote stream. pion reads a stream from one
// goroutine at a time, but hands it from its SSRC probe to the track's
// reader, so the count is atomic rather than owned.
type streamReader struct {
	s    *Stamper
	next interceptor.RTPReader
	done atomic.Uint32 // packets stamped or found already stamped
}

func (r *streamReader) Read(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
	n, a, err := r.next.Read(b, a)
	if err != nil || n < 12 || r.done.Load() >= StampPackets {
		return n, a, err
	}
	t := r.s.table.Load()
	if t == nil {
		return n, a, nil
	}
	e, ok := (*t)[binary.BigEndian.Uint32(b[8:12])]
	if !ok {
		return n, a, nil
	}
	n, out := stamp(b, n, &e)
	switch out {
	case stamped:
		r.s.stamped.Add(1)
		r.done.Add(1)
	case present:
		r.done.Add(1)
	case noRoom:
		r.s.noRoom.Add(1)
	case unstampable:
		r.s.unstampable.Add(1)
	}
	return n, a, nil
}

package forwarder

import "github.com/pion/rtp"

// ProbePaddingSize is the padding a probe packet carries (the RTP padding
// length is one byte, so 255 at most).
const ProbePaddingSize = 255

// Prober sends bandwidth probes on a video DownTrack: padding-only packets
// on the primary SSRC with sequence numbers of their own, inserted between
// frames, so the subscriber's jitter buffer sees a contiguous stream and
// the transport-wide feedback reports every probe. (Copies of sent packets
// would not do: SRTP replay protection drops them before the feedback
// sees them.) It takes the DownTrack's lock for each probe, like a
// forwarded packet.
type Prober struct {
	d   *DownTrack
	hdr rtp.Header // guarded by d.mu
	ext [maxOutExtensions]rtp.Extension
}

// NewProber returns a Prober for d.
func NewProber(d *DownTrack) *Prober { return &Prober{d: d} }

// Send writes one probe and returns its size in bytes (header and
// padding). ok is false when no probe can be sent now: d is not bound,
// closed, paused, has no source or is switching sources, has forwarded
// nothing on its binding yet, or is in the middle of a frame.
func (p *Prober) Send() (size int, ok bool) {
	d := p.d
	b := d.bound.Load()
	if b == nil || d.closed.Load() || d.paused.Load() || d.cur.Load() == nil || d.pend.Load() != nil {
		return 0, false // nothing forwarded now, or a switch waits for its keyframe
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	fw := &d.fw
	if fw.binding != b || !fw.hdr.Marker {
		return 0, false
	}
	seq, ts, ok := d.munger.insert()
	if !ok {
		return 0, false
	}
	h := &p.hdr
	setPaddingHeader(h, p.ext[:0], b, fw.hdr.PayloadType, ProbePaddingSize)
	h.SequenceNumber, h.Timestamp = seq, ts
	if _, err := b.writer.WriteRTP(h, nil); err != nil {
		fw.n.writeErrors++
		return 0, false
	}
	fw.n.probes++
	return h.MarshalSize() + ProbePaddingSize, true
}

// insert hands out the next outgoing number to a packet that has no
// incoming one (a probe) with the timestamp of the newest packet sent:
// the packets after it move up by one, in a new segment, so NACKs still
// map to their incoming numbers. ok is false before the first packet.
func (m *munger) insert() (outSeq uint16, outTS uint32, ok bool) {
	if m.needsAnchor() {
		return 0, 0, false
	}
	m.seqOffset++
	m.cur = nil
	m.lastSeq++
	m.sentSeq = m.lastSeq
	return m.lastSeq, m.lastTS, true
}

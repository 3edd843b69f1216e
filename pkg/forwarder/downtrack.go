package forwarder

import (
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
)

// maxOutExtensions is the capacity of the preallocated extension slices of
// outgoing headers: the audio level plus room for what pion's interceptors
// add (transport-wide sequence number, and more), so SetExtension appends in
// place.
const maxOutExtensions = 8

// DownTrackOptions configures a DownTrack.
type DownTrackOptions struct {
	// ID and StreamID are the webrtc.TrackLocal ID and StreamID (msid) the
	// subscriber sees.
	ID, StreamID string
	// Receiver is the source of packets, retransmissions and keyframes.
	Receiver *Receiver
	// Logger defaults to the Receiver's logger.
	Logger *zap.Logger
}

// DownTrack forwards one Receiver's packets to one subscriber: it is the
// webrtc.TrackLocal added to the subscriber's PeerConnection. It rewrites
// SSRC, payload type, sequence numbers, timestamps and header extensions, waits
// for a keyframe before forwarding video, and answers the subscriber's NACKs
// and PLIs (RunRTCP).
type DownTrack struct {
	// Immutable after NewDownTrack.
	id, streamID     string
	receiver         *Receiver
	logger           *zap.Logger
	waitsForKeyframe bool // video with a keyframe detector
	// munger's fields belong to the read goroutine; its current segment is
	// published atomically for the RTCP goroutine's NACK lookups.
	munger *munger

	// Published by the control plane (Bind/Unbind/Close/SetPaused), read
	// by the read and RTCP goroutines.
	bound    atomic.Pointer[binding] // nil before Bind and after Unbind
	bindings atomic.Uint64           // binding epoch counter
	closed   atomic.Bool
	paused   atomic.Bool
	// keyframeWanted counts requests to wait for a keyframe (Bind on the
	// control plane, resume on the read goroutine). The read goroutine waits
	// while it differs from fw.keyframeSeen, so a request racing with a
	// keyframe in flight is never lost.
	keyframeWanted atomic.Uint64

	fw  forwardState // owned by the read goroutine
	nak nackState    // owned by the RTCP goroutine

	stats downTrackCounters
}

// binding is what Bind learned from the subscriber's negotiation. Immutable.
type binding struct {
	epoch          uint64 // labels munger segments created under this binding
	codec          webrtc.RTPCodecParameters
	ssrc           uint32
	rtxSSRC        uint32 // 0: no RTX
	payloadType    uint8
	rtxPayloadType uint8
	audioLevelID   uint8 // 0: not negotiated
	writer         webrtc.TrackLocalWriter
}

// forwardState is the forwarding half of a DownTrack, owned by the read
// goroutine of its Receiver.
type forwardState struct {
	binding      *binding // binding the munger was reset for
	wasPaused    bool
	keyframeSeen uint64 // keyframeWanted value satisfied by the last keyframe
	hdr          rtp.Header
	ext          [maxOutExtensions]rtp.Extension
	audioLevel   [1]byte
}

// NewDownTrack returns an unbound DownTrack reading from o.Receiver. It does
// not add itself to the Receiver: call Receiver.AddDownTrack.
func NewDownTrack(o DownTrackOptions) (*DownTrack, error) {
	if o.Receiver == nil {
		return nil, ErrNoReceiver
	}
	if o.ID == "" {
		return nil, ErrNoID
	}
	logger := o.Logger
	if logger == nil {
		logger = o.Receiver.logger
	}
	d := &DownTrack{
		id:               o.ID,
		streamID:         o.StreamID,
		receiver:         o.Receiver,
		logger:           logger,
		waitsForKeyframe: o.Receiver.detectKeyframes,
	}
	d.munger = newMunger(o.Receiver.clockRate())
	d.nak.init()
	return d, nil
}

// writeRTP forwards one packet. Called by the Receiver's read goroutine; it
// never blocks beyond the write stream's UDP write and never allocates.
func (d *DownTrack) writeRTP(p *packet) {
	if d.closed.Load() {
		return
	}
	b := d.bound.Load()
	if b == nil {
		return // before Bind or after Unbind: drop silently
	}
	fw := &d.fw
	if fw.binding != b {
		if fw.binding != nil && fw.binding.ssrc == b.ssrc {
			// Renegotiated on the same SSRC: the subscriber sees one stream,
			// so keep it contiguous.
			d.munger.reanchor(b.epoch)
		} else {
			// A new outgoing stream from a random start.
			d.munger.reset(b.epoch, uint16(rand.Uint32()), rand.Uint32())
		}
		fw.binding = b
	}
	if d.paused.Load() {
		fw.wasPaused = true
		d.stats.dropped.Add(1)
		return
	}
	if fw.wasPaused {
		fw.wasPaused = false
		d.munger.reanchor(b.epoch)
		if d.waitsForKeyframe {
			d.beginKeyframeWait(p.arrival)
		}
	}
	if want := d.keyframeWanted.Load(); want != fw.keyframeSeen {
		if !p.keyframe {
			d.stats.dropped.Add(1)
			// Re-ask until it comes: the Receiver throttles.
			d.receiver.requestKeyframeAt(p.arrival)
			return
		}
		fw.keyframeSeen = want
	}

	seq, ts, res := d.munger.update(p.sequenceNumber, p.timestamp, p.arrival)
	if res != mungeForward {
		d.stats.dropped.Add(1)
		return
	}
	h := &fw.hdr
	setHeader(h, fw.ext[:0], &fw.audioLevel, b, p)
	h.SequenceNumber, h.Timestamp = seq, ts
	n, err := b.writer.WriteRTP(h, p.payload)
	if err != nil {
		d.stats.writeErrors.Add(1)
		return
	}
	d.stats.packets.Add(1)
	d.stats.bytes.Add(uint64(n))
}

// setHeader fills h for p on binding b: the subscriber's SSRC and payload
// type, p's marker, no CSRCs, no padding, and no extensions but the audio
// level under b's ID. ext is the preallocated extension storage and level the
// storage for the audio-level byte; both belong to h's goroutine.
func setHeader(h *rtp.Header, ext []rtp.Extension, level *[1]byte, b *binding, p *packet) {
	h.Version = 2
	h.Padding = false
	h.PaddingSize = 0
	h.Marker = p.marker
	h.PayloadType = b.payloadType
	h.SSRC = b.ssrc
	h.CSRC = nil
	h.Extension = false
	h.ExtensionProfile = 0
	h.Extensions = ext
	if b.audioLevelID != 0 && p.hasAudioLevel {
		level[0] = p.audioLevel
		if b.audioLevelID > 14 {
			h.Extension = true
			h.ExtensionProfile = rtp.ExtensionProfileTwoByte
		}
		_ = h.SetExtension(b.audioLevelID, level[:]) // cannot fail: ID and size are in range
	}
}

// beginKeyframeWait makes the track drop packets until the next keyframe and
// asks the publisher for one.
func (d *DownTrack) beginKeyframeWait(now time.Time) {
	d.keyframeWanted.Add(1)
	d.stats.keyframeWaits.Add(1)
	d.receiver.requestKeyframeAt(now)
}

// SetPaused stops (true) or resumes (false) forwarding without unbinding, e.g.
// while the subscriber's slot is muted or on hold. On resume the outgoing
// stream continues without a sequence gap, and video waits for a keyframe.
func (d *DownTrack) SetPaused(paused bool) { d.paused.Store(paused) }

// Stats returns a snapshot of d's counters.
func (d *DownTrack) Stats() DownTrackStats { return d.stats.snapshot() }

// SSRC returns the negotiated SSRC, or 0 when not bound.
func (d *DownTrack) SSRC() uint32 {
	if b := d.bound.Load(); b != nil {
		return b.ssrc
	}
	return 0
}

// Receiver returns the Receiver d forwards from.
func (d *DownTrack) Receiver() *Receiver { return d.receiver }

// Close stops forwarding and retransmitting; it is idempotent. The caller
// removes d from the Receiver and the PeerConnection.
func (d *DownTrack) Close() { d.closed.Store(true) }

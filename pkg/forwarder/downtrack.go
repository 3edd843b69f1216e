package forwarder

import (
	"fmt"
	"math/rand/v2"
	"sync"
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

// fillPaddingSize is the padding of the padding-only packets sent on numbers
// whose packet was dropped after its number had been reserved.
const fillPaddingSize = 1

// DownTrackOptions configures a DownTrack.
type DownTrackOptions struct {
	// ID and StreamID are the webrtc.TrackLocal ID and StreamID (msid) the
	// subscriber sees.
	ID, StreamID string
	// Receiver is the initial source of packets, retransmissions and
	// keyframes. It may be nil for a receive slot that has no source yet
	// (then Kind is required); see SwitchTo.
	Receiver *Receiver
	// Kind is audio or video. Required when Receiver is nil; when both are
	// set they must agree.
	Kind webrtc.RTPCodecType
	// Codecs optionally restricts the codecs (by mime type) the DownTrack
	// carries: Bind prefers them in this order, and packets of a source whose
	// codec is not listed are dropped and counted in Stats().CodecDrops.
	// Empty: any codec the subscriber negotiated for the kind.
	Codecs []webrtc.RTPCodecCapability
	// OnSwitch, if set, is called when the source changes: from the read
	// goroutine of the new source when a switch completes (so it must not
	// block), or from the caller of SwitchTo(nil). It runs without the
	// DownTrack's lock held. Switches completing back to back on different
	// read goroutines may be reported out of order; Source is authoritative.
	OnSwitch func(from, to *Receiver)
	// Now is the clock for NACK repeat suppression. Default: the Receiver's
	// clock, else time.Now.
	Now func() time.Time
	// Logger defaults to the Receiver's logger, else zap.NewNop().
	Logger *zap.Logger
	// Retransmits, if set, bounds the retransmissions answering NACKs
	// (usually the subscriber connection's congestion controller).
	Retransmits RetransmitLimiter
}

// RetransmitLimiter decides whether a retransmission may be sent. It is
// called from RunRTCP's goroutine, once per NACKed packet that can be
// re-sent, with the packet's size (header and payload).
type RetransmitLimiter interface {
	AllowRetransmit(size int) bool
}

// DownTrack forwards one source's packets to one subscriber: it is the
// webrtc.TrackLocal added to the subscriber's PeerConnection. It rewrites
// SSRC, payload type, sequence numbers, timestamps, VP8 descriptors and
// header extensions, waits for a keyframe before forwarding video, answers
// the subscriber's NACKs and PLIs (RunRTCP), and can switch between sources
// (simulcast layers, other publishers) without renegotiation (SwitchTo).
type DownTrack struct {
	// Published by the control plane, read by the read and RTCP goroutines.
	// The fields every packet reads come first, next to the lock.
	bound  atomic.Pointer[binding] // nil before Bind and after Unbind
	closed atomic.Bool
	paused atomic.Bool
	// maxTemporal is the normalized SetMaxTemporalLayer value: 0..allTemporalLayers.
	maxTemporal atomic.Int32
	// cur is the source being forwarded, pend the one being switched to.
	// Written with mu held, read anywhere.
	cur, pend atomic.Pointer[Receiver]
	// keyframeWanted counts requests to wait for a keyframe (Bind on the
	// control plane, resume on the read goroutine). Forwarding waits while it
	// differs from fw.keyframeSeen, so a request racing with a keyframe in
	// flight is never lost.
	keyframeWanted atomic.Uint64
	bindings       atomic.Uint64 // binding epoch counter

	// mu guards fw and the munger and serializes source changes. Its
	// holders: the read goroutine of the current source for every packet it
	// forwards, the pending source's read goroutine for its keyframe, and
	// SwitchTo/Close. In steady state only one read goroutine takes it.
	mu sync.Mutex
	fw forwardState
	// munger's fields are guarded by mu; its segments are read by the RTCP
	// goroutine.
	munger *munger

	// Immutable after NewDownTrack.
	id, streamID string
	kind         webrtc.RTPCodecType
	allowed      []webrtc.RTPCodecCapability
	strictCodec  bool // made with a Receiver and no Codecs: Bind needs its codec
	onSwitch     func(from, to *Receiver)
	retransmits  RetransmitLimiter // nil: unbounded
	now          func() time.Time
	logger       *zap.Logger

	stats downTrackCounters

	// frames holds the VP8 frame decisions: written with mu held, read by
	// the RTCP goroutine for retransmissions.
	frames frameRing

	nak nackState // owned by the RTCP goroutine
}

// binding is what Bind learned from the subscriber's negotiation. Immutable.
type binding struct {
	epoch          uint64 // labels munger segments created under this binding
	codec          webrtc.RTPCodecParameters
	codecs         []boundCodec // every negotiated codec of the kind
	ssrc           uint32
	rtxSSRC        uint32 // 0: no RTX
	payloadType    uint8  // of codec
	rtxPayloadType uint8  // of codec; 0: none
	audioLevelID   uint8  // 0: not negotiated
	writer         webrtc.TrackLocalWriter
}

// forwardState is the forwarding half of a DownTrack, guarded by its mutex.
type forwardState struct {
	binding      *binding // binding the munger was reset for
	wasPaused    bool
	audioLevel   [1]byte
	keyframeSeen uint64 // keyframeWanted value satisfied by the last keyframe
	pts          ptCache
	n            fwdCounters
	hdr          rtp.Header
	vp8          vp8State
	ext          [maxOutExtensions]rtp.Extension
	scratch      [slotSize]byte // payload with a rewritten VP8 descriptor
}

// NewDownTrack returns an unbound DownTrack. With o.Receiver it forwards
// that Receiver but does not add itself to it: call Receiver.AddDownTrack
// (SwitchTo adds the DownTrack to the Receivers it switches to).
func NewDownTrack(o DownTrackOptions) (*DownTrack, error) {
	if o.Receiver == nil && o.Kind == 0 {
		return nil, ErrNoReceiver
	}
	if o.ID == "" {
		return nil, ErrNoID
	}
	kind := o.Kind
	if o.Receiver != nil {
		if kind != 0 && kind != o.Receiver.Kind() {
			return nil, fmt.Errorf("%w: %s track, %s receiver", ErrKindMismatch, kind, o.Receiver.Kind())
		}
		kind = o.Receiver.Kind()
	}
	logger, now := o.Logger, o.Now
	if o.Receiver != nil {
		if logger == nil {
			logger = o.Receiver.logger
		}
		if now == nil {
			now = o.Receiver.opts.Now
		}
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	if now == nil {
		now = time.Now
	}
	d := &DownTrack{
		id:          o.ID,
		streamID:    o.StreamID,
		kind:        kind,
		allowed:     append([]webrtc.RTPCodecCapability(nil), o.Codecs...),
		strictCodec: o.Receiver != nil && len(o.Codecs) == 0,
		onSwitch:    o.OnSwitch,
		retransmits: o.Retransmits,
		now:         now,
		logger:      logger,
	}
	clockRate := uint32(90000)
	if kind == webrtc.RTPCodecTypeAudio {
		clockRate = 48000
	}
	if o.Receiver != nil {
		clockRate = o.Receiver.clockRate()
	}
	d.munger = newMunger(clockRate)
	d.munger.setSource(o.Receiver, clockRate)
	d.cur.Store(o.Receiver)
	d.maxTemporal.Store(allTemporalLayers)
	d.nak.init()
	return d, nil
}

// writeRTP forwards one packet of src. Called by src's read goroutine; it
// never blocks beyond the write stream's UDP write and d's mutex, and never
// allocates (except once per completed switch, to leave the old source's
// fan-out).
func (d *DownTrack) writeRTP(src *Receiver, p *packet) {
	if d.closed.Load() {
		return
	}
	b := d.bound.Load()
	if b == nil {
		return // before Bind or after Unbind: drop silently
	}
	if src != d.cur.Load() {
		if src != d.pend.Load() {
			return // left src's fan-out, but src's loop still had us
		}
		// Waiting for the pending source's keyframe: no lock needed to say no.
		if src.detectKeyframes && !p.keyframe {
			if !d.paused.Load() {
				src.requestKeyframeAt(p.arrival) // re-ask until it comes: throttled
			}
			return
		}
	}
	d.mu.Lock()
	from, switched := d.forwardLocked(src, b, p)
	d.mu.Unlock()
	if switched && d.onSwitch != nil {
		d.onSwitch(from, src)
	}
}

// forwardLocked is writeRTP under d.mu. It reports a completed switch.
func (d *DownTrack) forwardLocked(src *Receiver, b *binding, p *packet) (from *Receiver, switched bool) {
	fw := &d.fw
	if fw.binding != b {
		if fw.binding != nil && fw.binding.ssrc == b.ssrc {
			// Renegotiated on the same SSRC: the subscriber sees one stream,
			// so keep it contiguous.
			d.munger.reanchor(b.epoch)
		} else {
			// A new outgoing stream from a random start.
			d.munger.reset(b.epoch, uint16(rand.Uint32()), rand.Uint32())
			fw.vp8 = vp8State{}
		}
		fw.binding = b
	}
	if src != d.cur.Load() {
		if src != d.pend.Load() || d.paused.Load() || (src.detectKeyframes && !p.keyframe) {
			return nil, false // SwitchTo changed its mind meanwhile, or paused
		}
		from, switched = d.completeSwitch(src), true
	}
	if d.paused.Load() {
		fw.wasPaused = true
		fw.n.dropped++
		return from, switched
	}
	if fw.wasPaused {
		fw.wasPaused = false
		d.munger.reanchor(b.epoch)
		if src.detectKeyframes {
			d.beginKeyframeWait(src, p.arrival)
		}
	}
	if want := d.keyframeWanted.Load(); want != fw.keyframeSeen {
		if !p.keyframe {
			fw.n.dropped++
			// Re-ask until it comes: the Receiver throttles.
			src.requestKeyframeAt(p.arrival)
			return from, switched
		}
		fw.keyframeSeen = want
	}
	pt, _, ok := fw.pts.lookup(d, b, src)
	if !ok {
		fw.n.dropped++
		fw.n.codecDrops++
		return from, switched
	}
	if src.codecKind == codecVP8 {
		if p.vp8.ok {
			d.forwardVP8(b, p, pt)
			return from, switched
		}
		// No descriptor (a padding probe): not part of any frame.
		fw.vp8.lastPktValid = false
	}
	seq, ts, res := d.munger.update(p.sequenceNumber, p.timestamp, p.arrival)
	if res != mungeForward {
		fw.n.dropped++
		return from, switched
	}
	d.send(b, p, pt, seq, ts, p.payload)
	return from, switched
}

// send writes one forwarded packet. d.mu held.
func (d *DownTrack) send(b *binding, p *packet, pt uint8, seq uint16, ts uint32, payload []byte) {
	fw := &d.fw
	h := &fw.hdr
	setHeader(h, fw.ext[:0], &fw.audioLevel, b, p, pt)
	h.SequenceNumber, h.Timestamp = seq, ts
	n, err := b.writer.WriteRTP(h, payload)
	if err != nil {
		fw.n.writeErrors++
		return
	}
	fw.n.packets++
	fw.n.bytes += uint64(n)
}

// sendPadding writes a padding-only packet on a number whose packet was
// dropped after the number had been reserved, so the subscriber does not
// wait for it. d.mu held.
func (d *DownTrack) sendPadding(b *binding, pt uint8, seq uint16, ts uint32) {
	h := &d.fw.hdr
	setPaddingHeader(h, d.fw.ext[:0], b, pt, fillPaddingSize)
	h.SequenceNumber, h.Timestamp = seq, ts
	if _, err := b.writer.WriteRTP(h, nil); err != nil {
		d.fw.n.writeErrors++
		return
	}
	d.fw.n.padding++
}

// resetHeader makes h a header on binding b with payload type pt and
// nothing else: no marker, padding, CSRCs or extensions (ext is the
// preallocated storage extensions are added to). Sequence number and
// timestamp are the caller's.
func resetHeader(h *rtp.Header, ext []rtp.Extension, b *binding, pt uint8) {
	h.Version = 2
	h.Padding, h.PaddingSize, h.Marker = false, 0, false
	h.PayloadType, h.SSRC = pt, b.ssrc
	h.CSRC = nil
	h.Extension, h.ExtensionProfile, h.Extensions = false, 0, ext
}

// setHeader fills h for p on binding b: resetHeader plus p's marker and the
// audio level under b's ID. level is the storage for the audio-level byte;
// it and ext belong to h's goroutine.
func setHeader(h *rtp.Header, ext []rtp.Extension, level *[1]byte, b *binding, p *packet, pt uint8) {
	resetHeader(h, ext, b, pt)
	h.Marker = p.marker
	if b.audioLevelID != 0 && p.hasAudioLevel {
		level[0] = p.audioLevel
		if b.audioLevelID > 14 {
			h.Extension = true
			h.ExtensionProfile = rtp.ExtensionProfileTwoByte
		}
		_ = h.SetExtension(b.audioLevelID, level[:]) // cannot fail: ID and size are in range
	}
}

// setPaddingHeader fills h for a padding-only packet on binding b carrying
// size bytes of padding.
func setPaddingHeader(h *rtp.Header, ext []rtp.Extension, b *binding, pt, size uint8) {
	resetHeader(h, ext, b, pt)
	h.Padding, h.PaddingSize = true, size
}

// beginKeyframeWait makes the track drop packets until the next keyframe and
// asks src for one.
func (d *DownTrack) beginKeyframeWait(src *Receiver, now time.Time) {
	d.keyframeWanted.Add(1)
	d.stats.keyframeWaits.Add(1)
	src.requestKeyframeAt(now)
}

// SetPaused stops (true) or resumes (false) forwarding without unbinding, e.g.
// while the subscriber's slot is muted or on hold. On resume the outgoing
// stream continues without a sequence gap, and video waits for a keyframe. A
// pending switch completes only while not paused.
func (d *DownTrack) SetPaused(paused bool) { d.paused.Store(paused) }

// Paused reports whether SetPaused(true) is in force.
func (d *DownTrack) Paused() bool { return d.paused.Load() }

// Stats returns a snapshot of d's counters. It takes d's lock briefly, so it
// must not be called from a TrackLocalWriter d writes to.
func (d *DownTrack) Stats() DownTrackStats {
	d.mu.Lock()
	n := d.fw.n
	d.mu.Unlock()
	return d.stats.snapshot(&n)
}

// SSRC returns the negotiated SSRC, or 0 when not bound.
func (d *DownTrack) SSRC() uint32 {
	if b := d.bound.Load(); b != nil {
		return b.ssrc
	}
	return 0
}

// Receiver returns the source d currently forwards (nil for a slot with no
// source). It is the same as Source.
func (d *DownTrack) Receiver() *Receiver { return d.cur.Load() }

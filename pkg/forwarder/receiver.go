package forwarder

import (
	"errors"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
)

const (
	defaultVideoCacheSize   = 1024
	defaultAudioCacheSize   = 128
	defaultKeyframeThrottle = 500 * time.Millisecond
	// receiveBufferSize is the ReadLoop buffer; pion delivers at most its
	// receive MTU (1460 bytes) per packet.
	receiveBufferSize = slotSize
)

// ReceiverOptions configures a Receiver.
type ReceiverOptions struct {
	// Kind is audio or video.
	Kind webrtc.RTPCodecType
	// SSRC is the upstream SSRC. It is passed to RequestKeyframe; when
	// non-zero, packets with another SSRC are dropped and counted as Mismatched.
	SSRC uint32
	// Codec is the upstream codec: mime type (selects the keyframe detector
	// and the subscribers' codec), clock rate and payload type. When
	// Codec.PayloadType is non-zero, packets with another payload type are
	// dropped and counted as Mismatched.
	Codec webrtc.RTPCodecParameters
	// AudioLevelExtensionID is the publisher's negotiated ID of the RFC 6464
	// audio-level header extension (urn:ietf:params:rtp-hdrext:ssrc-audio-level),
	// 0 if not negotiated. DownTracks re-add the level under their own ID.
	AudioLevelExtensionID uint8
	// CacheSize is the number of packets kept for NACKs, rounded up to a power
	// of two (at most 16384). Default 1024 for video, 128 for audio.
	CacheSize int
	// RequestKeyframe sends a PLI upstream for mediaSSRC. It is called at most
	// once per KeyframeThrottle, from the read goroutine or a DownTrack's RTCP
	// goroutine, and must not block.
	RequestKeyframe func(mediaSSRC uint32)
	// KeyframeThrottle is the minimum interval between upstream keyframe
	// requests. Default 500ms.
	KeyframeThrottle time.Duration
	// Now is the clock. Default time.Now; tests inject a fake one.
	Now func() time.Time
	// Logger defaults to zap.NewNop().
	Logger *zap.Logger
	// Batch, if set, brackets every fan-out of a packet to one or more
	// DownTracks, so the write path below can send the copies together
	// (pkg/udpbatch: one sendmmsg instead of one sendto per subscriber).
	Batch Batcher
}

// Batcher is told where a fan-out begins and ends. Begin and End are called
// from the read goroutine, once each per fanned-out packet, and must not
// block beyond sending what was written in between.
type Batcher interface {
	Begin()
	End()
}

// Receiver reads one upstream RTP stream, keeps it in a packet cache for
// retransmissions, detects keyframes, and fans every packet out to its
// DownTracks.
//
// HandlePacket (and ReadLoop, which calls it) must be called from one
// goroutine at a time: the read goroutine. Every other method is safe for
// concurrent use.
type Receiver struct {
	// Immutable after NewReceiver.
	opts            ReceiverOptions
	codecKind       codecKind
	detectKeyframes bool // video with a keyframe detector
	epoch           time.Time
	logger          *zap.Logger
	cache           *packetCache // synchronizes itself

	// Owned by the read goroutine.
	pkt            packet
	seenKeyframe   bool
	lastKeyframeTS uint32

	// downTracks is the fan-out list: an immutable slice replaced
	// copy-on-write. The read goroutine loads it once per packet without a
	// lock; writers (AddDownTrack, RemoveDownTrack, Close) serialize on mu.
	downTracks atomic.Pointer[[]*DownTrack]
	mu         sync.Mutex
	closed     bool // guarded by mu

	// lastKeyframeRequest is the time of the last upstream keyframe request,
	// as nanoseconds since epoch plus one (0: never). Any goroutine; updated
	// with compare-and-swap so that concurrent requests send one PLI.
	lastKeyframeRequest atomic.Int64

	stats receiverCounters
	info  receiverInfo
}

var noDownTracks = []*DownTrack{}

// NewReceiver returns a Receiver for one upstream track.
func NewReceiver(o ReceiverOptions) *Receiver {
	if o.CacheSize <= 0 {
		o.CacheSize = defaultVideoCacheSize
		if o.Kind == webrtc.RTPCodecTypeAudio {
			o.CacheSize = defaultAudioCacheSize
		}
	}
	if o.KeyframeThrottle <= 0 {
		o.KeyframeThrottle = defaultKeyframeThrottle
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	kind := codecKindOf(o.Codec.MimeType)
	r := &Receiver{
		opts:            o,
		codecKind:       kind,
		detectKeyframes: o.Kind == webrtc.RTPCodecTypeVideo && kind != codecUnknown,
		epoch:           o.Now(),
		logger:          o.Logger,
		cache:           newPacketCache(o.CacheSize),
	}
	r.downTracks.Store(&noDownTracks)
	return r
}

// ReadLoop reads raw RTP from src and handles each packet until src returns
// an error without data, and returns that error (io.EOF when a pion track
// ends). An error that comes with data concerns that packet only (pion's
// TrackRemote reports an unknown payload type that way): the packet is counted
// as Mismatched and reading goes on. One goroutine per upstream track runs it.
func (r *Receiver) ReadLoop(src interface {
	Read([]byte) (int, interceptor.Attributes, error)
}) error {
	buf := make([]byte, receiveBufferSize)
	for {
		n, _, err := src.Read(buf)
		if err != nil {
			if n <= 0 || errors.Is(err, io.EOF) {
				return err
			}
			r.stats.mismatched.Add(1)
			continue
		}
		r.HandlePacket(buf[:n])
	}
}

// HandlePacket parses one raw RTP packet, stores it in the cache, detects
// keyframes and forwards it to every DownTrack. Garbage (not RTP version 2,
// truncated header, extension block or padding, larger than 1500 bytes) is
// dropped and counted in Stats().Malformed. It does not allocate, and raw may
// be reused once it returns. Only the read goroutine may call it.
func (r *Receiver) HandlePacket(raw []byte) {
	p := &r.pkt
	// Larger than any datagram pion delivers, and than a cache slot: what
	// cannot be retransmitted is not forwarded either.
	if len(raw) > slotSize || p.unmarshal(raw, r.opts.AudioLevelExtensionID) != nil {
		r.stats.malformed.Add(1)
		return
	}
	if (r.opts.SSRC != 0 && p.ssrc != r.opts.SSRC) ||
		(r.opts.Codec.PayloadType != 0 && webrtc.PayloadType(p.payloadType) != r.opts.Codec.PayloadType) {
		r.stats.mismatched.Add(1)
		return
	}
	if r.cache.Put(p.sequenceNumber, raw) == putDuplicate {
		r.stats.duplicates.Add(1)
		return
	}
	r.stats.packets.Add(1)
	r.stats.bytes.Add(uint64(len(raw)))
	p.arrival = r.opts.Now()
	r.info.observe(p, len(raw), p.arrival.Sub(r.epoch))

	if r.detectKeyframes {
		if r.codecKind == codecVP8 {
			p.vp8.parse(p.payload)
			p.keyframe = p.vp8.keyframe
		} else {
			p.keyframe = isKeyframe(r.codecKind, p.payload)
		}
		if p.keyframe {
			r.keyframeSeen(p)
		}
	}

	dts := *r.downTracks.Load()
	if len(dts) == 0 {
		return
	}
	if r.opts.Batch != nil {
		r.opts.Batch.Begin()
	}
	for _, d := range dts {
		d.writeRTP(r, p)
	}
	if r.opts.Batch != nil {
		r.opts.Batch.End()
	}
}

// keyframeSeen counts a keyframe and records its dimensions.
func (r *Receiver) keyframeSeen(p *packet) {
	// H264 may flag both the SPS and the IDR packet of one frame.
	if !r.seenKeyframe || p.timestamp != r.lastKeyframeTS {
		r.seenKeyframe, r.lastKeyframeTS = true, p.timestamp
		r.stats.keyframes.Add(1)
	}
	var w, h int
	var ok bool
	switch r.codecKind {
	case codecVP8:
		w, h, ok = vp8Dimensions(p.payload, &p.vp8)
	case codecH264:
		w, h, ok = h264Dimensions(p.payload)
	}
	if ok {
		r.info.setDimensions(w, h)
	}
}

// AddDownTrack starts forwarding to d. Adding a DownTrack twice, after Close,
// or to a Receiver that is neither d's source nor its pending source (see
// DownTrack.SwitchTo) does nothing.
func (r *Receiver) AddDownTrack(d *DownTrack) {
	if d == nil || (d.cur.Load() != r && d.pend.Load() != r) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := *r.downTracks.Load()
	if r.closed || slices.Contains(cur, d) {
		return
	}
	next := make([]*DownTrack, len(cur), len(cur)+1)
	copy(next, cur)
	next = append(next, d)
	r.downTracks.Store(&next)
}

// RemoveDownTrack stops forwarding to d. The read goroutine may still be
// handing d the packet in flight when it returns; d.Close stops that too.
func (r *Receiver) RemoveDownTrack(d *DownTrack) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := *r.downTracks.Load()
	i := slices.Index(cur, d)
	if i < 0 {
		return
	}
	next := make([]*DownTrack, 0, len(cur)-1)
	next = append(next, cur[:i]...)
	next = append(next, cur[i+1:]...)
	r.downTracks.Store(&next)
}

// DownTrackCount returns the number of DownTracks fed by r.
func (r *Receiver) DownTrackCount() int { return len(*r.downTracks.Load()) }

// RequestKeyframe asks the publisher for a keyframe, at most once per
// KeyframeThrottle.
func (r *Receiver) RequestKeyframe() { r.requestKeyframeAt(r.opts.Now()) }

// requestKeyframeAt is RequestKeyframe with the caller's clock reading, so the
// read goroutine can use the packet's arrival time.
func (r *Receiver) requestKeyframeAt(now time.Time) bool {
	stamp := int64(now.Sub(r.epoch)) + 1
	throttle := int64(r.opts.KeyframeThrottle)
	for {
		last := r.lastKeyframeRequest.Load()
		if last != 0 && stamp-last < throttle {
			return false
		}
		if r.lastKeyframeRequest.CompareAndSwap(last, stamp) {
			break
		}
	}
	r.stats.keyframeRequests.Add(1)
	if r.opts.RequestKeyframe != nil {
		r.opts.RequestKeyframe(r.opts.SSRC)
	}
	return true
}

// Stats returns a snapshot of r's counters.
func (r *Receiver) Stats() ReceiverStats { return r.stats.snapshot() }

// Kind returns the upstream track's kind.
func (r *Receiver) Kind() webrtc.RTPCodecType { return r.opts.Kind }

// Codec returns the upstream codec.
func (r *Receiver) Codec() webrtc.RTPCodecParameters { return r.opts.Codec }

// Close removes all DownTracks and refuses new ones. It is idempotent. It does
// not stop ReadLoop: the loop ends when its source does.
func (r *Receiver) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	r.downTracks.Store(&noDownTracks)
}

// clockRate returns the upstream clock rate, guessing 90 kHz / 48 kHz when
// the codec does not say.
func (r *Receiver) clockRate() uint32 {
	if r.opts.Codec.ClockRate != 0 {
		return r.opts.Codec.ClockRate
	}
	if r.opts.Kind == webrtc.RTPCodecTypeAudio {
		return 48000
	}
	return 90000
}

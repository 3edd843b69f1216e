package forwarder

import (
	"sync/atomic"
	"time"
)

const (
	// rateBuckets buckets of rateBucket make the ~1 s sliding window of
	// Receiver.Bitrate.
	rateBuckets = 10
	rateBucket  = 100 * time.Millisecond
	// rateByteBits is the width of the byte count in a bucket word; the rest
	// holds the bucket number.
	rateByteBits = 28
	rateByteMask = 1<<rateByteBits - 1
)

// AudioLevelStats are cumulative counters of the RFC 6464 audio levels a
// Receiver has seen since it started. The room computes per-interval values
// from the difference of two snapshots, e.g. the mean level
// ΔLevelSum/ΔPackets.
type AudioLevelStats struct {
	// Packets is the number of packets that carried the audio-level extension.
	Packets uint64
	// Voiced is the number of those whose V (voice activity) flag was set.
	Voiced uint64
	// LevelSum is the sum of their levels, each 0..127 in -dBov (0 is the
	// loudest, 127 silence).
	LevelSum uint64
}

// receiverInfo is what a Receiver learns about its stream for the control
// plane (layer selection, active speaker). Written by the read goroutine,
// read by anyone; all atomics.
type receiverInfo struct {
	dims        atomic.Uint64 // width<<32 | height of the last keyframe; 0 unknown
	firstPacket atomic.Int64  // arrival of the first packet, ns since epoch + 1; 0 none
	lastPacket  atomic.Int64  // arrival of the newest packet, ns since epoch + 1; 0 none
	rate        [rateBuckets]atomic.Uint64

	levelPackets, levelVoiced, levelSum atomic.Uint64
}

// observe records one accepted packet of size bytes. Read goroutine only.
func (i *receiverInfo) observe(p *packet, size int, since time.Duration) {
	if since < 0 {
		since = 0
	}
	stamp := int64(since) + 1
	if i.firstPacket.Load() == 0 {
		i.firstPacket.Store(stamp)
	}
	i.lastPacket.Store(stamp)

	slot := uint64(since / rateBucket)
	b := &i.rate[slot%rateBuckets]
	v := b.Load()
	n := uint64(size)
	if v>>rateByteBits == slot {
		n += v & rateByteMask
	}
	b.Store(slot<<rateByteBits | min(n, rateByteMask))

	if p.hasAudioLevel {
		i.levelPackets.Add(1)
		if p.audioLevel&0x80 != 0 {
			i.levelVoiced.Add(1)
		}
		i.levelSum.Add(uint64(p.audioLevel & 0x7F))
	}
}

// setDimensions records the frame size of a keyframe. Read goroutine only.
func (i *receiverInfo) setDimensions(w, h int) {
	i.dims.Store(uint64(w)<<32 | uint64(uint32(h)))
}

// Dimensions returns the frame size of the newest keyframe that announced one
// (VP8 keyframe header, H264 SPS), or 0, 0 when unknown.
func (r *Receiver) Dimensions() (width, height int) {
	v := r.info.dims.Load()
	return int(v >> 32), int(uint32(v))
}

// LastPacket returns the arrival time of the newest packet, or the zero time
// if none arrived yet. A simulcast layer the publisher paused stops moving it.
func (r *Receiver) LastPacket() time.Time {
	v := r.info.lastPacket.Load()
	if v == 0 {
		return time.Time{}
	}
	return r.epoch.Add(time.Duration(v - 1))
}

// Bitrate returns the received rate in bits per second (RTP headers
// included) over the sliding window of about one second that ends at now.
// It does not allocate; now comes from the caller's clock, the same clock as
// ReceiverOptions.Now.
func (r *Receiver) Bitrate(now time.Time) int {
	first := r.info.firstPacket.Load()
	if first == 0 {
		return 0
	}
	since := now.Sub(r.epoch)
	if since < 0 {
		return 0
	}
	nowSlot := uint64(since / rateBucket)
	oldest := uint64(0)
	if nowSlot >= rateBuckets-1 {
		oldest = nowSlot - (rateBuckets - 1)
	}
	var bytes uint64
	for i := range r.info.rate {
		v := r.info.rate[i].Load()
		if s := v >> rateByteBits; s >= oldest && s <= nowSlot {
			bytes += v & rateByteMask
		}
	}
	// The window runs from the oldest bucket's start (or the first packet,
	// for a young stream) to now, and is never shorter than one bucket.
	start := max(time.Duration(oldest)*rateBucket, time.Duration(first-1))
	window := max(since-start, rateBucket)
	return int(float64(bytes) * 8 / window.Seconds())
}

// AudioLevel returns the cumulative audio-level counters (RFC 6464) of the
// packets received so far.
func (r *Receiver) AudioLevel() AudioLevelStats {
	return AudioLevelStats{
		Packets:  r.info.levelPackets.Load(),
		Voiced:   r.info.levelVoiced.Load(),
		LevelSum: r.info.levelSum.Load(),
	}
}

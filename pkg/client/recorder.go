package client

import (
	"errors"
	"io"
	"math"
	"math/bits"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// TrackStats is what the client received on one downstream track.
type TrackStats struct {
	// TrackID is the node's publication id; StreamID the publisher's
	// connection id.
	TrackID, StreamID string
	Kind              string
	// SourceID is the source id found in the markers (0 before the first).
	SourceID uint32
	Packets  uint64
	Bytes    uint64
	// WrongSource counts markers whose source differs from the first one.
	WrongSource uint64
	// LastSourceID and LastLayer come from the newest marker; SourceChanges
	// counts switches between sources (receive slots change source).
	LastSourceID  uint32
	LastLayer     uint8
	SourceChanges uint64
	// LayerChanges counts switches between simulcast layers of a source.
	LayerChanges uint64
	// PictureIDJumps counts VP8 frames whose picture id is not the
	// previous one + 1 (the node keeps them continuous across switches).
	PictureIDJumps uint64
	// FramesByTID counts VP8 frames by temporal layer id.
	FramesByTID [4]uint64
	// Duplicates counts marker sequence numbers seen twice; OutOfOrder those
	// older than the newest seen; Missing the gaps not (yet) filled.
	Duplicates, OutOfOrder, Missing uint64
	// RTPGaps counts jumps in the outgoing RTP sequence number (the node
	// rewrites it to be contiguous; a gap means loss before the client).
	RTPGaps uint64
	// Keyframes counts VP8 keyframe starts.
	Keyframes uint64
	// MaxLatency is the largest send-to-receive delay seen (same clock).
	MaxLatency time.Duration
	// NewestSentAt is the publisher's send time of the most recently sent
	// marker received: packets read late still show when they were sent.
	NewestSentAt time.Time
	// Latency holds every send-to-receive delay (markers only), so that
	// callers can take quantiles over an interval (Sub) or over many tracks
	// (Add); LatencyP50 and LatencyP99 are its quantiles at snapshot time.
	Latency                LatencyHistogram
	LatencyP50, LatencyP99 time.Duration
	Ended                  bool
}

const seenWindow = 4096

type trackRecorder struct {
	st      TrackStats
	maxSeq  uint32
	seen    [seenWindow]bool // marker seq % seenWindow
	seenSeq [seenWindow]uint32
	lastRTP uint16
	started bool
	lastPLI time.Time
	picID   int // last VP8 picture id, -1 before the first
	h264    bool
}

// pliInterval spaces keyframe requests while a video track waits for one.
const pliInterval = 300 * time.Millisecond

type recorder struct {
	mu     sync.Mutex
	tracks map[string]*trackRecorder
	events []*pb.Event
	notify chan struct{} // closed and replaced on every change
}

func newRecorder() *recorder {
	return &recorder{tracks: make(map[string]*trackRecorder), notify: make(chan struct{})}
}

func (r *recorder) changed() {
	close(r.notify)
	r.notify = make(chan struct{})
}

func (r *recorder) event(ev *pb.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	r.changed()
}

// read records what arrives on t. Like a real decoder, it asks for a
// keyframe (pli) when video starts, or has started, without one: pion may
// drop the first packets of a new SSRC that arrive before its receiver is
// set up, and the keyframe is usually among them.
func (r *recorder) read(t *webrtc.TrackRemote, pli func(ssrc uint32)) {
	id := t.ID()
	r.mu.Lock()
	tr := &trackRecorder{st: TrackStats{TrackID: id, StreamID: t.StreamID(), Kind: t.Kind().String()}, picID: -1}
	r.tracks[id] = tr
	r.changed()
	r.mu.Unlock()
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	video := t.Kind() == webrtc.RTPCodecTypeVideo
	tr.h264 = strings.EqualFold(t.Codec().MimeType, webrtc.MimeTypeH264)
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			r.mu.Lock()
			tr.st.Ended = true
			r.changed()
			r.mu.Unlock()
			if !errors.Is(err, io.EOF) {
				return
			}
			return
		}
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		now := time.Now()
		m, merr := ParseMarker(pkt.Payload)
		r.mu.Lock()
		tr.record(&pkt, m, merr == nil, video, now)
		needKey := video && tr.st.Keyframes == 0 && now.Sub(tr.lastPLI) >= pliInterval
		if needKey {
			tr.lastPLI = now
		}
		r.changed()
		r.mu.Unlock()
		if needKey {
			pli(uint32(t.SSRC()))
		}
	}
}

func (tr *trackRecorder) record(p *rtp.Packet, m Marker, ok, video bool, now time.Time) {
	st := &tr.st
	st.Packets++
	st.Bytes += uint64(len(p.Payload))
	if tr.started && p.SequenceNumber != tr.lastRTP+1 && int16(p.SequenceNumber-tr.lastRTP) > 0 {
		st.RTPGaps++
	}
	if !tr.started || int16(p.SequenceNumber-tr.lastRTP) > 0 {
		tr.lastRTP = p.SequenceNumber
	}
	if video {
		if tr.h264 {
			tr.recordH264(p.Payload)
		} else {
			tr.recordVP8(p.Payload)
		}
	}
	if !ok {
		tr.started = true
		return
	}
	if st.SourceID == 0 {
		st.SourceID = m.SourceID
	} else if m.SourceID != st.SourceID {
		st.WrongSource++
	}
	switch {
	case st.LastSourceID != 0 && m.SourceID != st.LastSourceID:
		st.SourceChanges++
		// A new source has its own marker sequence.
		tr.maxSeq, tr.seen, tr.started = m.Seq, [seenWindow]bool{}, false
	case st.LastSourceID != 0 && m.Layer != st.LastLayer:
		// So has each simulcast layer: a layer switch is no loss.
		st.LayerChanges++
		tr.maxSeq, tr.seen, tr.started = m.Seq, [seenWindow]bool{}, false
	}
	st.LastSourceID, st.LastLayer = m.SourceID, m.Layer
	if m.SentAt.After(st.NewestSentAt) {
		st.NewestSentAt = m.SentAt
	}
	d := now.Sub(m.SentAt)
	if d > st.MaxLatency {
		st.MaxLatency = d
	}
	st.Latency.Record(d)
	i := m.Seq % seenWindow
	switch {
	case tr.seen[i] && tr.seenSeq[i] == m.Seq:
		st.Duplicates++
	case tr.started && m.Seq < tr.maxSeq:
		st.OutOfOrder++
		if st.Missing > 0 {
			st.Missing--
		}
	default:
		if tr.started && m.Seq > tr.maxSeq+1 {
			st.Missing += uint64(m.Seq - tr.maxSeq - 1)
		}
		tr.maxSeq = m.Seq
	}
	tr.seen[i], tr.seenSeq[i] = true, m.Seq
	tr.started = true
}

// recordH264 counts keyframes: an IDR or SPS NAL unit, alone, in a STAP-A
// or starting an FU-A.
func (tr *trackRecorder) recordH264(b []byte) {
	if len(b) < 2 {
		return
	}
	switch t := b[0] & 0x1f; {
	case t == 5 || t == 7:
		tr.st.Keyframes++
	case t == 24: // STAP-A: first NAL after its 2-byte size
		if len(b) > 3 && (b[3]&0x1f == 7 || b[3]&0x1f == 5) {
			tr.st.Keyframes++
		}
	case t == 28: // FU-A start of an IDR
		if b[1]&0x80 != 0 && b[1]&0x1f == 5 {
			tr.st.Keyframes++
		}
	}
}

// recordVP8 counts keyframes and checks picture-id continuity from the
// payload descriptor (RFC 7741) of the first packet of each frame.
func (tr *trackRecorder) recordVP8(b []byte) {
	if len(b) < 1 || b[0]&0x10 == 0 { // not the start of a frame
		return
	}
	i := 1
	pic := -1
	if b[0]&0x80 != 0 && len(b) > 1 { // X
		x := b[1]
		i = 2
		if x&0x80 != 0 && len(b) > i { // I
			if b[i]&0x80 != 0 && len(b) > i+1 {
				pic = int(b[i]&0x7f)<<8 | int(b[i+1])
				i += 2
			} else {
				pic = int(b[i] & 0x7f)
				i++
			}
		}
		if x&0x40 != 0 {
			i++
		}
		if x&0x30 != 0 {
			if x&0x20 != 0 && len(b) > i {
				tr.st.FramesByTID[b[i]>>6]++
			}
			i++
		}
	}
	if len(b) > i && b[i]&0x01 == 0 {
		tr.st.Keyframes++
	}
	if pic >= 0 {
		if tr.picID >= 0 && pic != (tr.picID+1)&0x7fff && pic != tr.picID {
			tr.st.PictureIDJumps++
		}
		tr.picID = pic
	}
}

// Tracks returns a snapshot of every downstream track seen, by track id.
func (c *Client) Tracks() map[string]TrackStats {
	c.rec.mu.Lock()
	defer c.rec.mu.Unlock()
	out := make(map[string]TrackStats, len(c.rec.tracks))
	for id, t := range c.rec.tracks {
		st := t.st
		st.LatencyP50, st.LatencyP99 = st.Latency.Quantile(0.5), st.Latency.Quantile(0.99)
		out[id] = st
	}
	return out
}

// Events returns the room events the client has seen so far.
func (c *Client) Events() []*pb.Event {
	c.rec.mu.Lock()
	defer c.rec.mu.Unlock()
	return append([]*pb.Event(nil), c.rec.events...)
}

// Changed returns a channel closed at the next change of Tracks or Events,
// so callers can wait for a condition without polling on a timer.
func (c *Client) Changed() <-chan struct{} {
	c.rec.mu.Lock()
	defer c.rec.mu.Unlock()
	return c.rec.notify
}

// Sent returns how many audio and video packets the client has sent.
func (c *Client) Sent() (audio, video uint64) {
	if c.audio != nil {
		audio = c.audio.sent.Load()
	}
	for _, v := range c.video {
		video += v.sent.Load()
	}
	return
}

// SetAudioLevel sets the audio level stamped on outgoing audio, in -dBov
// (0 is loudest, 127 silence).
func (c *Client) SetAudioLevel(level int) {
	if c.audio != nil {
		c.audio.level.Store(int32(min(max(level, 0), 127)))
	}
}

// Latency histogram layout: 1 µs buckets below 16 µs, then 8 buckets per
// power of two (at most 1/16 ≈ 6 % error at the bucket midpoint) up to
// 2^32 µs, about 71 minutes. A fixed array, so recording a packet neither
// allocates nor takes more than a few instructions.
const (
	latencyLinear  = 16
	latencySub     = 8 // buckets per power of two above latencyLinear
	latencyBuckets = latencyLinear + latencySub*(32-4)
)

// LatencyHistogram counts send-to-receive delays in fixed log-scale
// buckets. The zero value is empty and ready to use; it is a value type, so
// a snapshot is a copy and Sub gives the histogram of an interval.
type LatencyHistogram struct {
	counts [latencyBuckets]uint32
	total  uint64
}

func latencyBucket(d time.Duration) int {
	u := d.Microseconds()
	if u <= 0 {
		return 0
	}
	if u < latencyLinear {
		return int(u)
	}
	e := bits.Len64(uint64(u)) - 1 // >= 4
	sub := int(u>>(e-3)) & (latencySub - 1)
	i := latencyLinear + (e-4)*latencySub + sub
	if i >= latencyBuckets {
		return latencyBuckets - 1
	}
	return i
}

// bucketMid is the value a bucket stands for: its lower bound plus half
// its width.
func bucketMid(i int) time.Duration {
	if i < latencyLinear {
		return time.Duration(i) * time.Microsecond
	}
	e := 4 + (i-latencyLinear)/latencySub
	sub := (i - latencyLinear) % latencySub
	width := int64(1) << (e - 3)
	lower := (latencySub + int64(sub)) << (e - 3)
	return time.Duration(lower*2+width) * time.Microsecond / 2
}

// Record adds one delay.
func (h *LatencyHistogram) Record(d time.Duration) {
	h.counts[latencyBucket(d)]++
	h.total++
}

// Count is the number of delays recorded.
func (h LatencyHistogram) Count() uint64 { return h.total }

// Quantile returns the delay below which a fraction q (0..1) of the
// recorded delays fall, to the bucket's resolution; 0 when empty.
func (h LatencyHistogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += uint64(c)
		if seen >= rank {
			return bucketMid(i)
		}
	}
	return bucketMid(latencyBuckets - 1)
}

// Add merges o into h (several tracks into one distribution).
func (h *LatencyHistogram) Add(o LatencyHistogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
}

// Sub returns what was recorded in h after the snapshot earlier (h must be
// a later snapshot of the same histogram).
func (h LatencyHistogram) Sub(earlier LatencyHistogram) LatencyHistogram {
	for i, c := range earlier.counts {
		h.counts[i] -= c
	}
	h.total -= earlier.total
	return h
}

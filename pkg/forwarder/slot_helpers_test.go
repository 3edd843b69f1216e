package forwarder

import (
	"encoding/binary"
	"sync"
	"testing"

	"github.com/pion/webrtc/v4"
)

// vp8Pkt describes a VP8 test packet with a full payload descriptor.
type vp8Pkt struct {
	seq    uint16
	ts     uint32
	ssrc   uint32
	marker bool
	start  bool // S=1, PID=0
	key    bool // keyframe (with start)
	pic    int  // -1: no picture id
	pic7   bool // 7-bit picture id
	tl0    int  // -1: none
	tid    int  // -1: no T
	sync   bool // Y
	keyIdx int  // -1: no K
	w, h   int  // keyframe size (default 640x360)
	tail   []byte
}

func newVP8Pkt() vp8Pkt { return vp8Pkt{pic: -1, tl0: -1, tid: -1, keyIdx: -1} }

// payload builds the descriptor, the VP8 payload header when the packet
// starts a frame, and the tail.
func (v vp8Pkt) payload() []byte {
	b0 := byte(0x80) // X
	if v.start {
		b0 |= 0x10
	}
	var x byte
	var ext []byte
	if v.pic >= 0 {
		x |= 0x80
		if v.pic7 {
			ext = append(ext, byte(v.pic)&0x7F)
		} else {
			ext = append(ext, 0x80|byte(v.pic>>8)&0x7F, byte(v.pic))
		}
	}
	if v.tl0 >= 0 {
		x |= 0x40
		ext = append(ext, byte(v.tl0))
	}
	if v.tid >= 0 || v.keyIdx >= 0 {
		var tk byte
		if v.tid >= 0 {
			x |= 0x20
			tk |= byte(v.tid) << 6
			if v.sync {
				tk |= 0x20
			}
		}
		if v.keyIdx >= 0 {
			x |= 0x10
			tk |= byte(v.keyIdx) & 0x1F
		}
		ext = append(ext, tk)
	}
	out := append([]byte{b0, x}, ext...)
	if v.start {
		if v.key {
			w, h := v.w, v.h
			if w == 0 {
				w, h = 640, 360
			}
			out = append(out, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a)
			out = binary.LittleEndian.AppendUint16(out, uint16(w))
			out = binary.LittleEndian.AppendUint16(out, uint16(h))
		} else {
			out = append(out, 0x31, 0x0c, 0x00)
		}
	}
	return append(out, v.tail...)
}

func (v vp8Pkt) build(t testing.TB) []byte {
	t.Helper()
	return pkt{seq: v.seq, ts: v.ts, ssrc: v.ssrc, marker: v.marker, payload: v.payload(), audioLevel: -1}.build(t)
}

// layer is one Receiver of a test publisher with its own keyframe requests.
type layer struct {
	r    *Receiver
	ssrc uint32
	mu   sync.Mutex
	plis int
}

func newLayer(t testing.TB, clock *fakeClock, ssrc uint32, kind webrtc.RTPCodecType, codec webrtc.RTPCodecParameters) *layer {
	t.Helper()
	l := &layer{ssrc: ssrc}
	l.r = NewReceiver(ReceiverOptions{
		Kind: kind, SSRC: ssrc, Codec: codec, AudioLevelExtensionID: 1, CacheSize: 256,
		RequestKeyframe: func(uint32) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.plis++
		},
		Now: clock.Now,
	})
	return l
}

func (l *layer) pliCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.plis
}

// vp8Source generates a realistic VP8 stream for one layer: 15-bit picture
// ids, TL0PICIDX, an L1T3 temporal pattern (0,2,1,2) with sync bits, one or
// more packets per frame, and a keyframe on demand.
type vp8Source struct {
	l         *layer
	seq       uint16
	ts        uint32
	pic       int
	tl0       int
	frame     int
	sinceKey  int
	pic7      bool
	tag       byte // first tail byte: identifies the source in the output
	forceKey  bool
	temporal  bool // carry TID/Y (L1T3); else no T bit
	lastFrame []vp8Pkt
}

func newVP8Source(l *layer, tag byte, seq uint16, ts uint32, pic int) *vp8Source {
	return &vp8Source{l: l, seq: seq, ts: ts, pic: pic, tl0: int(tag) * 7, tag: tag, temporal: true, forceKey: true}
}

// next returns the packets of the next frame (n packets; a keyframe when
// asked for or forced).
func (s *vp8Source) next(n int, key bool) []vp8Pkt {
	key = key || s.forceKey
	s.forceKey = false
	if key {
		s.sinceKey = 0
	}
	pos := s.sinceKey % 4
	tid := [4]int{0, 2, 1, 2}[pos]
	if key {
		tid = 0
	}
	if tid == 0 && s.frame > 0 {
		s.tl0++ // a new base-layer picture
	}
	var out []vp8Pkt
	for i := range n {
		p := newVP8Pkt()
		p.seq, p.ts, p.ssrc = s.seq, s.ts, s.l.ssrc
		p.start, p.key = i == 0, key && i == 0
		p.marker = i == n-1
		p.pic, p.pic7 = s.pic&0x7FFF, s.pic7
		if s.pic7 {
			p.pic = s.pic & 0x7F
		}
		p.tl0 = s.tl0 & 0xFF
		if s.temporal {
			p.tid = tid
			p.sync = key || pos == 1 || pos == 2
		}
		p.tail = []byte{s.tag, byte(s.seq >> 8), byte(s.seq)}
		s.seq++
		out = append(out, p)
	}
	s.ts += 3000
	s.pic++
	s.frame++
	s.sinceKey++
	s.lastFrame = out
	return out
}

// send delivers the packets to the layer's Receiver.
func (s *vp8Source) send(t testing.TB, pkts []vp8Pkt) {
	t.Helper()
	for _, p := range pkts {
		s.l.r.HandlePacket(p.build(t))
	}
}

// slot returns a video DownTrack without a source, bound to a recording
// writer.
func newSlot(t testing.TB, o DownTrackOptions, ctx *fakeContext) *DownTrack {
	t.Helper()
	if o.ID == "" {
		o.ID = "slot"
	}
	if o.Kind == 0 && o.Receiver == nil {
		o.Kind = webrtc.RTPCodecTypeVideo
	}
	d, err := NewDownTrack(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Bind(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}

// outVP8 parses the descriptor of a forwarded packet.
func outVP8(t testing.TB, s sent) vp8Desc {
	t.Helper()
	var d vp8Desc
	d.parse(s.Payload)
	if !d.ok {
		t.Fatalf("forwarded packet %d has no VP8 descriptor: %x", s.SequenceNumber, s.Payload)
	}
	return d
}

// tagOf returns the source tag and incoming sequence number carried in the
// tail of a test payload.
func tagOf(payload []byte) (tag byte, seq uint16) {
	n := len(payload)
	return payload[n-3], binary.BigEndian.Uint16(payload[n-2:])
}

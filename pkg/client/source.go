package client

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Synthetic media parameters.
const (
	audioPacketInterval = 20 * time.Millisecond
	audioPayloadSize    = 100 // bytes, typical Opus at ~32 kbit/s
	maxVideoPayload     = 1100
	// vp8DescriptorSize: X|S|PID, I|L|T, 15-bit picture id (2),
	// TL0PICIDX, TID|Y.
	vp8DescriptorSize = 6
)

// temporalPattern is the TID of each frame in a 3-layer VP8 temporal
// structure (L1T3): TID0 at 7.5 fps, TID1 at 15, TID2 at 30.
var temporalPattern = [4]uint8{0, 2, 1, 2}

// SimulcastLayer describes one spatial layer a simulcast client sends.
type SimulcastLayer struct {
	RID           string
	Bitrate       int
	Width, Height int
}

// DefaultSimulcast is what Chrome sends with scaleResolutionDownBy 4, 2, 1.
var DefaultSimulcast = []SimulcastLayer{
	{RID: "q", Bitrate: 150_000, Width: 320, Height: 180},
	{RID: "h", Bitrate: 500_000, Width: 640, Height: 360},
	{RID: "f", Bitrate: 1_500_000, Width: 1280, Height: 720},
}

// source generates one synthetic RTP stream. run and readRTCP run on their
// own goroutines; keyframe and level are shared between them and the API.
type source struct {
	id            uint32
	layer         uint8
	track         *localTrack
	video         bool
	interval      time.Duration // between frames (video) or packets (audio)
	frameLen      int           // bytes per delta frame
	kfEvery       time.Duration
	width, height int
	keyframe      atomic.Bool  // set by a PLI/FIR, consumed by run
	level         atomic.Int32 // audio level in -dBov (0 loud .. 127 silent)
	sent          atomic.Uint64
	plis          atomic.Uint64 // keyframe requests received
	noKeyframes   bool          // a broken publisher: delta frames only
}

func newAudioSource(id uint32, stream string) *source {
	s := &source{
		id:       id,
		track:    &localTrack{id: "audio", streamID: stream, codec: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}},
		interval: audioPacketInterval,
	}
	s.level.Store(30)
	return s
}

func newVideoSource(id uint32, stream string, fps int, kfEvery time.Duration, l SimulcastLayer, index int) *source {
	if l.Bitrate <= 0 {
		l.Bitrate = 500_000
	}
	if l.Width <= 0 || l.Height <= 0 {
		l.Width, l.Height = 640, 360
	}
	if fps <= 0 {
		fps = 30
	}
	if kfEvery <= 0 {
		kfEvery = 2 * time.Second
	}
	return &source{
		id:       id,
		layer:    uint8(index),
		track:    &localTrack{id: "video", streamID: stream, rid: l.RID, codec: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}},
		video:    true,
		interval: time.Second / time.Duration(fps),
		frameLen: l.Bitrate / 8 / fps,
		kfEvery:  kfEvery,
		width:    l.Width,
		height:   l.Height,
	}
}

// readRTCP turns PLI/FIR from the node into a keyframe on the next frame.
func (s *source) readRTCP(read func() ([]rtcp.Packet, interceptor.Attributes, error)) {
	for {
		pkts, _, err := read()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				s.plis.Add(1)
				s.keyframe.Store(true)
			}
		}
	}
}

func (s *source) run(ctx context.Context) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	h := rtp.Header{
		Version:        2,
		SequenceNumber: binary.BigEndian.Uint16(b[0:2]),
		Timestamp:      binary.BigEndian.Uint32(b[2:6]),
	}
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	var (
		markerSeq uint32
		picID     = binary.BigEndian.Uint16(b[6:8]) & 0x7fff
		tl0       = b[5]
		frameNo   int
		lastKey   time.Time
		buf       = make([]byte, maxVideoPayload)
	)
	s.keyframe.Store(true)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		if !s.video {
			p := buf[:audioPayloadSize]
			markerSeq++
			PutMarker(p, Marker{SourceID: s.id, Seq: markerSeq, SentAt: now})
			hdr := h
			if s.track.write(&hdr, p, int(s.level.Load())) == nil {
				s.sent.Add(1)
			}
			h.SequenceNumber++
			h.Timestamp += 960
			continue
		}
		key := s.keyframe.Swap(false) || now.Sub(lastKey) >= s.kfEvery
		key = key && !s.noKeyframes
		if key {
			lastKey = now
			frameNo = 0 // a keyframe restarts the temporal pattern at TID0
		}
		tid := temporalPattern[frameNo%len(temporalPattern)]
		if tid == 0 {
			tl0++
		}
		frame := s.frameLen
		if key {
			frame *= 4 // keyframes are several times larger
		}
		if strings.EqualFold(s.track.codec.MimeType, webrtc.MimeTypeH264) {
			h264Frame(buf, key, s.width, s.height, frame, maxVideoPayload, MarkerSize, func(p []byte, last bool) {
				markerSeq++
				PutMarker(p, Marker{SourceID: s.id, Seq: markerSeq, SentAt: now, Layer: s.layer})
				hdr := h
				hdr.Marker = last
				if s.track.write(&hdr, p, -1) == nil {
					s.sent.Add(1)
				}
				h.SequenceNumber++
			})
			h.Timestamp += uint32(90000 * s.interval / time.Second)
			continue
		}
		for off, first := 0, true; off < frame; first = false {
			n := min(frame-off, maxVideoPayload)
			if n < vp8DescriptorSize+10+MarkerSize {
				n = vp8DescriptorSize + 10 + MarkerSize
			}
			p := buf[:n]
			clear(p)
			s.putDescriptor(p, first, key, picID, tl0, tid)
			off += n
			markerSeq++
			PutMarker(p, Marker{SourceID: s.id, Seq: markerSeq, SentAt: now, Layer: s.layer})
			hdr := h
			hdr.Marker = off >= frame
			if s.track.write(&hdr, p, -1) == nil {
				s.sent.Add(1)
			}
			h.SequenceNumber++
		}
		frameNo++
		picID = (picID + 1) & 0x7fff
		h.Timestamp += uint32(90000 * s.interval / time.Second)
	}
}

// putDescriptor writes the VP8 payload descriptor (RFC 7741) and, on a
// frame's first packet, the VP8 frame tag (with the keyframe start code and
// dimensions on keyframes).
func (s *source) putDescriptor(p []byte, first, key bool, picID uint16, tl0, tid uint8) {
	p[0] = 0x80 // X
	if first {
		p[0] |= 0x10 // S, partition 0
	}
	p[1] = 0x80 | 0x40 | 0x20 // I, L, T
	p[2] = 0x80 | byte(picID>>8)
	p[3] = byte(picID)
	p[4] = tl0
	p[5] = tid << 6
	if tid > 0 {
		p[5] |= 0x20 // Y: every frame here depends only on TID0, so it is a sync point
	}
	if !first {
		return
	}
	f := p[vp8DescriptorSize:]
	f[0] = 0x10 // show_frame; bit 0 clear = keyframe
	if !key {
		f[0] |= 0x01
		return
	}
	f[3], f[4], f[5] = 0x9d, 0x01, 0x2a
	binary.LittleEndian.PutUint16(f[6:8], uint16(s.width))
	binary.LittleEndian.PutUint16(f[8:10], uint16(s.height))
}

package client

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Synthetic media parameters.
const (
	audioPacketInterval = 20 * time.Millisecond
	audioPayloadSize    = 100 // bytes, typical Opus at ~32 kbit/s
	maxVideoPayload     = 1100
	vp8DescriptorSize   = 4 // X|S, I, 15-bit picture id
)

// source generates one synthetic RTP stream. run and readRTCP run on their
// own goroutines; keyframe is shared between them.
type source struct {
	id       uint32
	track    *localTrack
	video    bool
	interval time.Duration // between frames (video) or packets (audio)
	frameLen int           // bytes per delta frame
	kfEvery  time.Duration
	keyframe atomic.Bool  // set by a PLI/FIR, consumed by run
	level    atomic.Int32 // audio level in -dBov (0 loud .. 127 silent)
	sent     atomic.Uint64
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

func newVideoSource(id uint32, stream string, bitrate, fps int, kfEvery time.Duration) *source {
	if bitrate <= 0 {
		bitrate = 500_000
	}
	if fps <= 0 {
		fps = 30
	}
	if kfEvery <= 0 {
		kfEvery = 2 * time.Second
	}
	return &source{
		id:       id,
		track:    &localTrack{id: "video", streamID: stream, codec: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}},
		video:    true,
		interval: time.Second / time.Duration(fps),
		frameLen: bitrate / 8 / fps,
		kfEvery:  kfEvery,
	}
}

// readRTCP turns PLI/FIR from the node into a keyframe on the next frame.
func (s *source) readRTCP(sender *webrtc.RTPSender) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				s.keyframe.Store(true)
			}
		}
	}
}

func (s *source) run(ctx context.Context) {
	var b [6]byte
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
		picID     uint16 = uint16(b[0]) & 0x7fff
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
			hdr.Marker = false
			if s.track.write(&hdr, p, int(s.level.Load())) == nil {
				s.sent.Add(1)
			}
			h.SequenceNumber++
			h.Timestamp += 960
			continue
		}
		key := s.keyframe.Swap(false) || now.Sub(lastKey) >= s.kfEvery
		if key {
			lastKey = now
		}
		frame := s.frameLen
		if key {
			frame *= 4 // keyframes are several times larger
		}
		for off, first := 0, true; off < frame; first = false {
			n := min(frame-off, maxVideoPayload)
			if n < vp8DescriptorSize+10+MarkerSize {
				n = vp8DescriptorSize + 10 + MarkerSize
			}
			p := buf[:n]
			clear(p)
			// VP8 payload descriptor: X=1, S on the first packet, PID 0;
			// I=1 with a 15-bit picture id.
			p[0] = 0x80
			if first {
				p[0] |= 0x10
			}
			p[1] = 0x80
			p[2] = 0x80 | byte(picID>>8)
			p[3] = byte(picID)
			if first {
				// VP8 frame tag: bit 0 clear = keyframe; show_frame set.
				p[4] = 0x10
				if !key {
					p[4] |= 0x01
				}
				if key {
					p[7], p[8], p[9] = 0x9d, 0x01, 0x2a
					binary.LittleEndian.PutUint16(p[10:12], 640)
					binary.LittleEndian.PutUint16(p[12:14], 360)
				}
			}
			off += n
			markerSeq++
			PutMarker(p, Marker{SourceID: s.id, Seq: markerSeq, SentAt: now})
			hdr := h
			hdr.Marker = off >= frame
			if s.track.write(&hdr, p, -1) == nil {
				s.sent.Add(1)
			}
			h.SequenceNumber++
		}
		picID = (picID + 1) & 0x7fff
		h.Timestamp += uint32(90000 * s.interval / time.Second)
	}
}

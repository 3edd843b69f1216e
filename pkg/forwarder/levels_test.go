package forwarder

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// bitWriter writes an H264 RBSP for tests.
type bitWriter struct {
	b    []byte
	nbit int
}

func (w *bitWriter) bit(v uint32) {
	if w.nbit%8 == 0 {
		w.b = append(w.b, 0)
	}
	if v != 0 {
		w.b[len(w.b)-1] |= 0x80 >> (w.nbit % 8)
	}
	w.nbit++
}

func (w *bitWriter) bits(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		w.bit(v >> i & 1)
	}
}

func (w *bitWriter) ue(v uint32) {
	n := 0
	for (v+1)>>(n+1) != 0 {
		n++
	}
	w.bits(0, n)
	w.bits(v+1, n+1)
}

func (w *bitWriter) se(v int32) {
	if v > 0 {
		w.ue(uint32(2*v - 1))
	} else {
		w.ue(uint32(-2 * v))
	}
}

// nal adds the emulation prevention bytes and a NAL header.
func (w *bitWriter) nal(header byte) []byte {
	w.bit(1) // rbsp_stop_one_bit
	out := []byte{header}
	zeros := 0
	for _, c := range w.b {
		if zeros >= 2 && c <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

type spsFields struct {
	profile                  uint8
	chroma                   uint32 // high profiles only
	separate                 bool
	scaling                  bool
	pocType                  uint32
	widthMBs, heightUnits    uint32
	frameMBsOnly             bool
	cropL, cropR, cropT, cro uint32
	maxFrameNum              uint32 // log2_max_frame_num_minus4: large values make zero bytes
}

func (f spsFields) build() []byte {
	w := &bitWriter{}
	w.bits(uint32(f.profile), 8)
	w.bits(0, 8)  // constraint flags
	w.bits(40, 8) // level 4.0
	w.ue(0)       // sps id
	if f.profile == 100 || f.profile == 244 {
		w.ue(f.chroma)
		if f.chroma == 3 {
			w.bit(map[bool]uint32{true: 1}[f.separate])
		}
		w.ue(0)
		w.ue(0)
		w.bit(0)
		if f.scaling {
			w.bit(1)
			n := 8
			if f.chroma == 3 {
				n = 12
			}
			for i := range n {
				w.bit(uint32(i % 2))
				if i%2 == 1 {
					size := 16
					if i >= 6 {
						size = 64
					}
					for j := range size {
						w.se(int32(j%5) - 2)
					}
				}
			}
		} else {
			w.bit(0)
		}
	}
	w.ue(f.maxFrameNum)
	w.ue(f.pocType)
	switch f.pocType {
	case 0:
		w.ue(2)
	case 1:
		w.bit(0)
		w.se(-3)
		w.se(5)
		w.ue(3)
		w.se(1)
		w.se(-1)
		w.se(2)
	}
	w.ue(4) // max_num_ref_frames
	w.bit(0)
	w.ue(f.widthMBs - 1)
	w.ue(f.heightUnits - 1)
	if f.frameMBsOnly {
		w.bit(1)
	} else {
		w.bit(0)
		w.bit(1)
	}
	w.bit(1) // direct_8x8_inference
	if f.cropL+f.cropR+f.cropT+f.cro > 0 {
		w.bit(1)
		w.ue(f.cropL)
		w.ue(f.cropR)
		w.ue(f.cropT)
		w.ue(f.cro)
	} else {
		w.bit(0)
	}
	w.bit(0) // no VUI
	return w.nal(0x67)
}

func TestH264SPSDimensions(t *testing.T) {
	for _, tc := range []struct {
		name string
		sps  []byte
		w, h int
	}{
		{"Chrome OpenH264 constrained baseline", h264SPS, 640, 480},
		{"baseline 720p", spsFields{profile: 66, widthMBs: 80, heightUnits: 45, frameMBsOnly: true}.build(), 1280, 720},
		{"high 1080p cropped, scaling lists", spsFields{profile: 100, chroma: 1, scaling: true, widthMBs: 120, heightUnits: 68, frameMBsOnly: true, cro: 4}.build(), 1920, 1080},
		{"interlaced, poc type 1", spsFields{profile: 100, chroma: 1, pocType: 1, widthMBs: 45, heightUnits: 18, cropL: 1, cropR: 1, cro: 1}.build(), 716, 572},
		{"4:4:4 crop units", spsFields{profile: 244, chroma: 3, widthMBs: 20, heightUnits: 15, frameMBsOnly: true, cropR: 3, cro: 2}.build(), 317, 238},
		{"4:0:0 monochrome", spsFields{profile: 100, chroma: 0, widthMBs: 20, heightUnits: 15, frameMBsOnly: true, cropR: 3, cro: 2}.build(), 317, 238},
		{"emulation prevention", spsFields{profile: 66, maxFrameNum: 1<<22 - 1, pocType: 2, widthMBs: 1, heightUnits: 1, frameMBsOnly: true}.build(), 16, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasPrefix(tc.name, "emulation") && !bytes.Contains(tc.sps, []byte{0, 0, 3}) {
				t.Fatalf("%x has no emulation prevention byte", tc.sps)
			}
			w, h, ok := h264SPSDimensions(tc.sps[1:])
			if !ok || w != tc.w || h != tc.h {
				t.Errorf("%x: %dx%d %v, want %dx%d", tc.sps, w, h, ok, tc.w, tc.h)
			}
			if a := testing.AllocsPerRun(10, func() { h264SPSDimensions(tc.sps[1:]) }); a != 0 {
				t.Errorf("allocates %v", a)
			}
			for i := 4; i < len(tc.sps)-2; i++ { // truncations never panic
				h264SPSDimensions(tc.sps[1:i])
			}
		})
	}
	fuA := append([]byte{0x7c, 0x87}, h264SPS[1:]...)
	for name, payload := range map[string][]byte{"stap-a": stapA(h264SPS, h264PPS), "single": h264SPS, "fu-a": fuA} {
		if w, h, ok := h264Dimensions(payload); !ok || w != 640 || h != 480 {
			t.Errorf("%s: %dx%d %v", name, w, h, ok)
		}
	}
	for _, payload := range [][]byte{{0x65, 0x88}, stapA(h264PPS), {0x7c, 0x05, 1}, {0x78, 0, 9, 0x67}} {
		if _, _, ok := h264Dimensions(payload); ok {
			t.Errorf("%x has dimensions", payload)
		}
	}
}

func FuzzH264SPS(f *testing.F) {
	f.Add(h264SPS[1:])
	f.Add(spsFields{profile: 100, chroma: 3, scaling: true, pocType: 1, widthMBs: 120, heightUnits: 68}.build()[1:])
	f.Fuzz(func(t *testing.T, body []byte) {
		if w, h, ok := h264SPSDimensions(body); ok && (w <= 0 || h <= 0 || w > 1024*16 || h > 2048*16) {
			t.Fatalf("%dx%d", w, h)
		}
	})
}

func TestReceiverDimensions(t *testing.T) {
	f := newFixture(t, upVP8, webrtc.RTPCodecTypeVideo)
	if w, h := f.r.Dimensions(); w != 0 || h != 0 {
		t.Fatal("dimensions before any keyframe")
	}
	f.r.HandlePacket(vp8(1, 0, false).build(t))
	f.r.HandlePacket(vp8(2, 0, true).build(t))
	if w, h := f.r.Dimensions(); w != 640 || h != 360 {
		t.Errorf("VP8: %dx%d", w, h)
	}
	h264 := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000}, PayloadType: 102}
	fh := newFixture(t, h264, webrtc.RTPCodecTypeVideo)
	fh.r.HandlePacket(pkt{seq: 1, pt: 102, payload: stapA(h264SPS, h264PPS), audioLevel: -1}.build(t))
	if w, h := fh.r.Dimensions(); w != 640 || h != 480 {
		t.Errorf("H264: %dx%d", w, h)
	}
}

func TestReceiverBitrate(t *testing.T) {
	f := newFixture(t, upOpus, webrtc.RTPCodecTypeAudio)
	start := f.clock.Now()
	if f.r.Bitrate(start) != 0 || !f.r.LastPacket().IsZero() {
		t.Fatal("rate or last packet before any packet")
	}
	f.clock.Advance(500 * time.Millisecond)
	raw := pkt{seq: 0, pt: 111, payload: make([]byte, 188), audioLevel: -1}.build(t)
	size := len(raw)
	var last time.Time
	for i := range 200 { // one packet every 10 ms for 2 s
		raw[2], raw[3] = byte(i>>8), byte(i)
		last = f.clock.Now()
		f.r.HandlePacket(raw)
		if i == 20 { // a young stream is rated over its own age
			want := 21.0 * float64(size) * 8 / 0.2
			if got := f.r.Bitrate(f.clock.Now()); math.Abs(float64(got)-want) > want*0.01 {
				t.Errorf("young stream: %d b/s, want %.0f", got, want)
			}
		}
		f.clock.Advance(10 * time.Millisecond)
	}
	if !f.r.LastPacket().Equal(last) {
		t.Errorf("LastPacket %v, want %v", f.r.LastPacket(), last)
	}
	now := start.Add(2495 * time.Millisecond) // window: buckets 15..24 = packets at 1500..2490 ms
	want := 100.0 * float64(size) * 8 / 0.995
	if got := f.r.Bitrate(now); math.Abs(float64(got)-want) > want*0.01 {
		t.Errorf("steady: %d b/s, want %.0f", got, want)
	}
	if got := f.r.Bitrate(now.Add(2 * time.Second)); got != 0 {
		t.Errorf("after 2 s of silence: %d b/s", got)
	}
	if a := testing.AllocsPerRun(100, func() { f.r.Bitrate(now) }); a != 0 {
		t.Errorf("Bitrate allocates %v", a)
	}
}

func TestReceiverAudioLevel(t *testing.T) {
	f := newFixture(t, upOpus, webrtc.RTPCodecTypeAudio)
	for i, level := range []int{0x85, 0x7f, -1, 0x80 | 40, 0x85} {
		f.r.HandlePacket(pkt{seq: uint16(i), pt: 111, payload: opusPayload, audioLevel: level}.build(t))
	}
	f.r.HandlePacket(pkt{seq: 4, pt: 111, payload: opusPayload, audioLevel: 0x85}.build(t)) // duplicate: not counted
	want := AudioLevelStats{Packets: 4, Voiced: 3, LevelSum: 5 + 127 + 40 + 5}
	if got := f.r.AudioLevel(); got != want {
		t.Errorf("AudioLevel = %+v, want %+v", got, want)
	}
}

package forwarder

import (
	"testing"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// h264SPS and h264PPS are the parameter sets Chrome's OpenH264 sends for
// constrained baseline 3.1 (profile-level-id 42e01f).
var (
	h264SPS = []byte{0x67, 0x42, 0xc0, 0x1f, 0x8c, 0x8d, 0x40, 0x50, 0x1e, 0xd0, 0x0f, 0x08, 0x84, 0x6a}
	h264PPS = []byte{0x68, 0xce, 0x3c, 0x80}
)

func stapA(nalus ...[]byte) []byte {
	out := []byte{0x78} // F=0 NRI=3 type 24
	for _, n := range nalus {
		out = append(out, byte(len(n)>>8), byte(len(n)))
		out = append(out, n...)
	}
	return out
}

var keyframeCases = []struct {
	name    string
	kind    codecKind
	payload []byte
	want    bool
}{
	// VP8 (RFC 7741)
	{"vp8 keyframe, picture id + tl0picidx + tid", codecVP8, vp8KeyPayload, true},
	{"vp8 delta frame", codecVP8, vp8DeltaPayload, false},
	{"vp8 keyframe continuation (S=0)", codecVP8, vp8MidPayload, false},
	{"vp8 keyframe, no extensions", codecVP8, []byte{0x10, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a}, true},
	{"vp8 keyframe, 7-bit picture id", codecVP8, []byte{0x90, 0x80, 0x2a, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a}, true},
	{"vp8 keyframe, K only (keyidx)", codecVP8, []byte{0x90, 0x10, 0x03, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a}, true},
	{"vp8 delta, T only", codecVP8, []byte{0x90, 0x20, 0x40, 0x31, 0x0c, 0x00}, false},
	{"vp8 start of partition 1", codecVP8, []byte{0x11, 0x50, 0x42, 0x00}, false},
	{"vp8 truncated before picture id", codecVP8, []byte{0x90, 0x80}, false},
	{"vp8 truncated inside picture id", codecVP8, []byte{0x90, 0x80, 0x80}, false},
	{"vp8 descriptor only", codecVP8, []byte{0x90, 0xe0, 0x80, 0x2a, 0x05, 0x20}, false},
	{"vp8 empty", codecVP8, nil, false},

	// H264 (RFC 6184)
	{"h264 STAP-A SPS+PPS", codecH264, stapA(h264SPS, h264PPS), true},
	{"h264 STAP-A PPS+IDR", codecH264, stapA(h264PPS, []byte{0x65, 0x88, 0x84, 0x00}), true},
	{"h264 STAP-A SEI+non-IDR", codecH264, stapA([]byte{0x06, 0x05, 0x01}, []byte{0x41, 0x9a}), false},
	{"h264 STAP-A truncated size", codecH264, []byte{0x78, 0x00, 0xff, 0x67}, false},
	{"h264 STAP-A zero size", codecH264, []byte{0x78, 0x00, 0x00, 0x67}, false},
	{"h264 single IDR", codecH264, []byte{0x65, 0x88, 0x84, 0x00, 0x33}, true},
	{"h264 single SPS", codecH264, h264SPS, true},
	{"h264 single PPS", codecH264, h264PPS, false},
	{"h264 single non-IDR slice", codecH264, []byte{0x41, 0x9a, 0x02, 0x12}, false},
	{"h264 FU-A start IDR", codecH264, []byte{0x7c, 0x85, 0x88, 0x84, 0x00}, true},
	{"h264 FU-A middle IDR", codecH264, []byte{0x7c, 0x05, 0x11, 0x22}, false},
	{"h264 FU-A end IDR", codecH264, []byte{0x7c, 0x45, 0x11, 0x22}, false},
	{"h264 FU-A start non-IDR", codecH264, []byte{0x5c, 0x81, 0x9a, 0x02}, false},
	{"h264 FU-A truncated", codecH264, []byte{0x7c}, false},
	{"h264 empty", codecH264, []byte{}, false},

	// VP9 (RFC 9628)
	{"vp9 keyframe, flexible, picture id, SS", codecVP9, []byte{0x9a, 0x80, 0x2a, 0x18, 0x02, 0x7f, 0x01, 0x67}, true},
	{"vp9 keyframe, non-flexible, SID 0", codecVP9, []byte{0xaa, 0x80, 0x2a, 0x00, 0x05, 0x18}, true},
	{"vp9 keyframe picture, spatial layer 1", codecVP9, []byte{0xa8, 0x80, 0x2a, 0x02, 0x05}, false},
	{"vp9 delta frame", codecVP9, []byte{0xc8, 0x80, 0x2b, 0x11}, false},
	{"vp9 keyframe continuation (B=0)", codecVP9, []byte{0x80, 0x80, 0x2a, 0x11}, false},
	{"vp9 truncated layer index", codecVP9, []byte{0xa8, 0x80, 0x2a}, false},
	{"vp9 no picture id", codecVP9, []byte{0x08, 0x11}, true},

	// Codecs without a detector.
	{"av1 (unknown)", codecUnknown, []byte{0x18, 0x0a, 0x0b}, false},
}

func TestIsKeyframe(t *testing.T) {
	for _, tc := range keyframeCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := isKeyframe(tc.kind, tc.payload); got != tc.want {
				t.Errorf("isKeyframe(%x) = %v, want %v", tc.payload, got, tc.want)
			}
		})
	}
}

func TestCodecKindOf(t *testing.T) {
	for mime, want := range map[string]codecKind{
		webrtc.MimeTypeVP8: codecVP8, "VIDEO/vp8": codecVP8, webrtc.MimeTypeVP9: codecVP9,
		webrtc.MimeTypeH264: codecH264, webrtc.MimeTypeAV1: codecUnknown, webrtc.MimeTypeOpus: codecUnknown,
	} {
		if got := codecKindOf(mime); got != want {
			t.Errorf("codecKindOf(%q) = %d, want %d", mime, got, want)
		}
	}
}

// vp8KeyframeOracle decides the same question with pion's depacketizer.
func vp8KeyframeOracle(payload []byte) bool {
	var p codecs.VP8Packet
	rest, err := p.Unmarshal(payload)
	return err == nil && p.S == 1 && p.PID == 0 && len(rest) > 0 && rest[0]&0x01 == 0
}

func TestVP8KeyframeMatchesPion(t *testing.T) {
	for _, tc := range keyframeCases {
		if tc.kind != codecVP8 {
			continue
		}
		if got, want := isVP8Keyframe(tc.payload), vp8KeyframeOracle(tc.payload); got != want {
			t.Errorf("%s: isVP8Keyframe = %v, pion says %v", tc.name, got, want)
		}
	}
}

func FuzzKeyframe(f *testing.F) {
	for _, tc := range keyframeCases {
		f.Add(uint8(tc.kind), tc.payload)
	}
	f.Fuzz(func(t *testing.T, kind uint8, payload []byte) {
		k := codecKind(kind % 4)
		got := isKeyframe(k, payload)
		if got != isKeyframe(k, payload) {
			t.Fatal("not deterministic")
		}
		if k == codecVP8 && got != vp8KeyframeOracle(payload) {
			t.Fatalf("isVP8Keyframe(%x) = %v, pion disagrees", payload, got)
		}
		if got && len(payload) == 0 {
			t.Fatal("empty payload is a keyframe")
		}
	})
}

package forwarder

import (
	"bytes"
	"testing"

	"github.com/pion/rtp/codecs"
)

var vp8DescCases = []struct {
	name string
	p    vp8Pkt
}{
	{"15-bit pic, tl0, tid+y", vp8Pkt{start: true, key: true, pic: 0x1234, tl0: 9, tid: 0, sync: true, keyIdx: -1}},
	{"7-bit pic", vp8Pkt{start: true, pic: 0x55, pic7: true, tl0: -1, tid: -1, keyIdx: -1}},
	{"tid and keyidx", vp8Pkt{pic: 7, tl0: 200, tid: 2, keyIdx: 17}},
	{"keyidx only", vp8Pkt{pic: -1, tl0: -1, tid: -1, keyIdx: 3}},
	{"no extensions", vp8Pkt{start: true, pic: -1, tl0: -1, tid: -1, keyIdx: -1}},
	{"tl0 only", vp8Pkt{pic: -1, tl0: 255, tid: -1, keyIdx: -1}},
}

func TestVP8DescParseMatchesPion(t *testing.T) {
	for _, tc := range vp8DescCases {
		t.Run(tc.name, func(t *testing.T) {
			payload := tc.p.payload()
			var d vp8Desc
			d.parse(payload)
			var pp codecs.VP8Packet
			rest, err := pp.Unmarshal(payload)
			if err != nil || !d.ok {
				t.Fatalf("parse ok=%v, pion err %v", d.ok, err)
			}
			if int(d.size) != len(payload)-len(rest) {
				t.Errorf("size %d, pion %d", d.size, len(payload)-len(rest))
			}
			if d.hasPic != (pp.I == 1) || d.hasTL0 != (pp.L == 1) || d.hasTID != (pp.T == 1) || d.hasKey != (pp.K == 1) {
				t.Errorf("flags %+v vs pion %+v", d, pp)
			}
			if d.hasPic && d.pic != pp.PictureID || d.hasTL0 && d.tl0 != pp.TL0PICIDX ||
				d.hasTID && (d.tid != pp.TID || d.sync != (pp.Y == 1)) || d.hasKey && d.keyIdx != pp.KEYIDX {
				t.Errorf("values %+v vs pion %+v", d, pp)
			}
			if d.start != (pp.S == 1 && pp.PID == 0) || d.keyframe != vp8KeyframeOracle(payload) {
				t.Errorf("start/keyframe %v/%v", d.start, d.keyframe)
			}
		})
	}
	for _, bad := range [][]byte{nil, {0x80}, {0x80, 0x80}, {0x80, 0x80, 0x80}, {0x80, 0x40}, {0x80, 0x20}} {
		var d vp8Desc
		if d.parse(bad); d.ok {
			t.Errorf("parse(%x) ok", bad)
		}
	}
}

func TestVP8DescRewrite(t *testing.T) {
	for _, tc := range vp8DescCases {
		t.Run(tc.name, func(t *testing.T) {
			payload := tc.p.payload()
			orig := append([]byte(nil), payload...)
			var d vp8Desc
			d.parse(payload)
			var scratch [slotSize]byte
			n := vp8Numbers{pic: 0x7ABC, tl0: 42, keyIdx: 30}
			out := d.rewrite(scratch[:], payload, n)
			if !bytes.Equal(payload, orig) {
				t.Fatal("rewrite modified the shared payload")
			}
			var got vp8Desc
			got.parse(out)
			if !got.ok || got.size != d.size || !bytes.Equal(out[d.size:], payload[d.size:]) {
				t.Fatalf("rewritten payload %x from %x", out, payload)
			}
			wantPic := n.pic
			if !d.pic15 {
				wantPic &= 0x7F // 7-bit ids keep their length
			}
			if d.hasPic && (got.pic != wantPic || got.pic15 != d.pic15) ||
				d.hasTL0 && got.tl0 != 42 || d.hasKey && got.keyIdx != 30 ||
				got.hasTID != d.hasTID || got.tid != d.tid || got.sync != d.sync {
				t.Errorf("rewritten %+v", got)
			}
			// Writing the same numbers back is free: no copy.
			same := vp8Numbers{pic: d.pic, tl0: d.tl0, keyIdx: d.keyIdx}
			if res := d.rewrite(scratch[:], payload, same); &res[0] != &payload[0] {
				t.Error("unchanged descriptor was copied")
			}
			if a := testing.AllocsPerRun(100, func() { d.rewrite(scratch[:], payload, n) }); a != 0 {
				t.Errorf("rewrite allocates %v", a)
			}
		})
	}
}

func TestPicDiff(t *testing.T) {
	for _, tc := range []struct {
		a, b, mod uint16
		want      int
	}{
		{5, 3, 128, 2}, {3, 5, 128, -2}, {1, 127, 128, 2}, {127, 1, 128, -2},
		{0, 0x7FFF, 1 << 15, 1}, {100, 100, 1 << 15, 0}, {0x4000, 0, 1 << 15, -0x4000},
	} {
		if got := picDiff(tc.a, tc.b, tc.mod); got != tc.want {
			t.Errorf("picDiff(%d, %d, %d) = %d, want %d", tc.a, tc.b, tc.mod, got, tc.want)
		}
	}
}

func TestVP8Dimensions(t *testing.T) {
	var d vp8Desc
	d.parse(vp8KeyPayload)
	if w, h, ok := vp8Dimensions(vp8KeyPayload, &d); !ok || w != 640 || h != 360 {
		t.Errorf("Chrome keyframe: %dx%d %v", w, h, ok)
	}
	p := newVP8Pkt()
	p.start, p.key, p.pic, p.w, p.h = true, true, 1, 1280, 720
	payload := p.payload()
	payload[len(payload)-1] |= 0xC0 // scaling bits are not part of the size
	d.parse(payload)
	if w, h, ok := vp8Dimensions(payload, &d); !ok || w != 1280 || h != 720 {
		t.Errorf("generated keyframe: %dx%d %v", w, h, ok)
	}
	d.parse(vp8DeltaPayload)
	if _, _, ok := vp8Dimensions(vp8DeltaPayload, &d); ok {
		t.Error("delta frame has dimensions")
	}
	trunc := vp8KeyPayload[:12]
	d.parse(trunc)
	if _, _, ok := vp8Dimensions(trunc, &d); ok {
		t.Error("truncated keyframe has dimensions")
	}
}

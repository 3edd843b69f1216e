package client

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
)

// expGolomb reads an RBSP (emulation prevention already removed).
type expGolomb struct {
	b   []byte
	pos int // bit position
	err bool
}

func (r *expGolomb) u(n int) uint32 {
	var v uint32
	for range n {
		if r.pos/8 >= len(r.b) {
			r.err = true
			return 0
		}
		v = v<<1 | uint32(r.b[r.pos/8]>>(7-uint(r.pos%8))&1)
		r.pos++
	}
	return v
}

func (r *expGolomb) ue() uint32 {
	zeros := 0
	for r.u(1) == 0 && !r.err {
		zeros++
	}
	return 1<<zeros - 1 + r.u(zeros)
}

func (r *expGolomb) se() int32 {
	v := r.ue()
	if v&1 == 1 {
		return int32(v+1) / 2
	}
	return -int32(v / 2)
}

// unescape drops emulation prevention bytes and reports whether the NAL
// unit contained a forbidden 00 00 0x (x <= 2) sequence.
func unescape(nal []byte) (rbsp []byte, forbidden bool) {
	zeros := 0
	for _, c := range nal {
		if zeros >= 2 && c <= 2 {
			forbidden = true
		}
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		rbsp = append(rbsp, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return rbsp, forbidden
}

type parsedSPS struct {
	profile, constraints, level uint32
	wMBs, hMapUnits             uint32
	width, height               int
}

// parseSPS decodes an SPS NAL unit (header byte included) per H.264 7.3.2.1.1.
func parseSPS(t *testing.T, nal []byte) parsedSPS {
	t.Helper()
	if nal[0] != 0x67 {
		t.Fatalf("SPS header %#x", nal[0])
	}
	rbsp, forbidden := unescape(nal[1:])
	if forbidden {
		t.Fatalf("SPS %x is not escaped", nal)
	}
	r := &expGolomb{b: rbsp}
	var s parsedSPS
	s.profile, s.constraints, s.level = r.u(8), r.u(8), r.u(8)
	if id := r.ue(); id != 0 {
		t.Errorf("sps id %d", id)
	}
	r.ue() // log2_max_frame_num_minus4
	switch r.ue() {
	case 0:
		r.ue()
	case 1:
		t.Fatal("poc type 1 not expected")
	}
	r.ue() // max_num_ref_frames
	r.u(1) // gaps
	s.wMBs, s.hMapUnits = r.ue()+1, r.ue()+1
	frameMBsOnly := r.u(1)
	if frameMBsOnly == 0 {
		r.u(1)
	}
	r.u(1) // direct_8x8_inference_flag
	var cl, cr, ct, cb uint32
	if r.u(1) == 1 {
		cl, cr, ct, cb = r.ue(), r.ue(), r.ue(), r.ue()
	}
	if r.u(1) != 0 {
		t.Error("VUI not expected")
	}
	if r.u(1) != 1 {
		t.Error("no rbsp stop bit")
	}
	for r.pos%8 != 0 {
		if r.u(1) != 0 {
			t.Error("non-zero alignment bit")
		}
	}
	if r.err || r.pos/8 != len(rbsp) {
		t.Fatalf("SPS %x: read %d bits of %d bytes (err %v)", nal, r.pos, len(rbsp), r.err)
	}
	s.width = int(16*s.wMBs - 2*(cl+cr))
	s.height = int(16*s.hMapUnits*(2-frameMBsOnly) - 2*(ct+cb))
	return s
}

func TestH264SPS(t *testing.T) {
	tests := []struct {
		w, h      int
		level     uint32
		wMBs, hMU uint32
	}{
		{320, 180, 30, 20, 12},
		{640, 360, 30, 40, 23},
		{1280, 720, 31, 80, 45},
		{1920, 1080, 40, 120, 68},
		{176, 144, 30, 11, 9},
		{2, 2, 30, 1, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d", tt.w, tt.h), func(t *testing.T) {
			s := parseSPS(t, h264SPS(tt.w, tt.h))
			want := parsedSPS{profile: 66, constraints: 0xe0, level: tt.level, wMBs: tt.wMBs, hMapUnits: tt.hMU, width: tt.w, height: tt.h}
			if s != want {
				t.Errorf("got %+v, want %+v", s, want)
			}
		})
	}
}

// TestH264SPSAllSizes reads back every even width up to 4096 with a few
// heights each. (No size up to 16384x16384 happens to need an emulation
// prevention byte in this SPS; TestH264AppendEscaped covers the escaping.)
func TestH264SPSAllSizes(t *testing.T) {
	for w := 2; w <= 4096; w += 2 {
		for _, h := range []int{2, 16, 18, 180, 1080, w/2&^1 + 2, 2304} {
			if s := parseSPS(t, h264SPS(w, h)); s.width != w || s.height != h {
				t.Fatalf("%dx%d read back as %dx%d", w, h, s.width, s.height)
			}
		}
	}
}

func TestH264AppendEscaped(t *testing.T) {
	for _, tt := range []struct{ in, want []byte }{
		{[]byte{0, 0, 0}, []byte{0x67, 0, 0, 3, 0}},
		{[]byte{0, 0, 1, 0, 0, 2, 0, 0, 3}, []byte{0x67, 0, 0, 3, 1, 0, 0, 3, 2, 0, 0, 3, 3}},
		{[]byte{0, 0, 4, 0, 0}, []byte{0x67, 0, 0, 4, 0, 0}},
		{[]byte{0, 0, 0, 0}, []byte{0x67, 0, 0, 3, 0, 0}},
	} {
		if got := h264AppendEscaped(nil, 0x67, tt.in); !bytes.Equal(got, tt.want) {
			t.Errorf("%x: got %x, want %x", tt.in, got, tt.want)
		}
	}
}

func TestH264PPS(t *testing.T) {
	pps := h264PPS()
	r := &expGolomb{b: pps[1:]}
	if pps[0]&0x1f != h264NALTypePPS || r.ue() != 0 || r.ue() != 0 || r.u(1) != 0 {
		t.Fatalf("PPS %x: want ids 0 and CAVLC", pps)
	}
	pps[1] = 0 // callers own their copy
	if h264PPS()[1] == 0 {
		t.Error("h264PPS returns shared memory")
	}
}

// frameResult is one packetized frame, reassembled.
type frameResult struct {
	payloads [][]byte
	nals     [][]byte // NAL units in order (STAP-A unpacked, FU-A joined)
	lastSeen int      // index of the payload emitted with last=true, -1 if none
}

func packetize(t *testing.T, key bool, w, h, frameBytes, maxPayload, reserve int) frameResult {
	t.Helper()
	res := frameResult{lastSeen: -1}
	buf := make([]byte, 1500)
	var fu []byte
	h264Frame(buf, key, w, h, frameBytes, maxPayload, reserve, func(p []byte, last bool) {
		if last {
			if res.lastSeen >= 0 {
				t.Error("last twice")
			}
			res.lastSeen = len(res.payloads)
		}
		// The caller's marker goes into the tail: nothing structural may live there.
		for i := len(p) - reserve; i < len(p); i++ {
			p[i] = 0xee
		}
		p = append([]byte(nil), p...)
		res.payloads = append(res.payloads, p)
		switch p[0] & 0x1f {
		case h264NALTypeSTAPA:
			for i := 1; i < len(p); {
				if i+2 > len(p) {
					t.Fatalf("STAP-A %x truncated", p)
				}
				n := int(binary.BigEndian.Uint16(p[i:]))
				if n == 0 || i+2+n > len(p) {
					t.Fatalf("STAP-A NAL size %d at %d of %d", n, i, len(p))
				}
				res.nals = append(res.nals, p[i+2:i+2+n])
				i += 2 + n
			}
		case h264NALTypeFUA:
			start, end := p[1]&0x80 != 0, p[1]&0x40 != 0
			if start == (fu != nil) {
				t.Fatalf("FU-A start bit %v with fragment in progress %v", start, fu != nil)
			}
			if start && end {
				t.Fatal("FU-A with both S and E")
			}
			if p[1]&0x20 != 0 {
				t.Fatal("FU-A R bit set")
			}
			if start {
				fu = []byte{p[0]&0xe0 | p[1]&0x1f}
			}
			fu = append(fu, p[2:]...)
			if end {
				res.nals = append(res.nals, fu)
				fu = nil
			}
		default:
			res.nals = append(res.nals, p)
		}
	})
	if fu != nil {
		t.Fatal("frame ended inside an FU-A")
	}
	return res
}

// sliceHeader reads the start of a slice NAL unit written by h264SliceHeader.
func sliceHeader(t *testing.T, nal []byte) (firstMB, sliceType uint32) {
	t.Helper()
	r := &expGolomb{b: nal[1:]}
	firstMB, sliceType = r.ue(), r.ue()
	if pps := r.ue(); pps != 0 {
		t.Errorf("slice pps id %d", pps)
	}
	r.u(h264MaxFrameNumLog2)
	if nal[0]&0x1f == h264NALTypeIDR {
		r.ue()
		r.u(2)
	} else {
		r.u(3)
	}
	if qp, dbk, a, b := r.se(), r.ue(), r.se(), r.se(); qp != 0 || dbk != 0 || a != 0 || b != 0 || r.err {
		t.Errorf("slice header %x: qp %d deblock %d %d %d", nal[:8], qp, dbk, a, b)
	}
	return firstMB, sliceType
}

func TestH264Frame(t *testing.T) {
	type size struct{ w, h, frameBytes, maxPayload, reserve int }
	sizes := []size{
		{320, 180, 600, 1100, MarkerSize},    // fits one packet
		{640, 360, 2083, 1100, MarkerSize},   // 500 kbit/s at 30 fps
		{1280, 720, 25000, 1100, MarkerSize}, // a large keyframe
		{1920, 1080, 1099, 1100, MarkerSize}, // right at the limit
		{1280, 720, 1101, 1100, MarkerSize},  // just past it: two even fragments
		{640, 360, 5000, 1200, 0},            // no tail
		{320, 180, 10, 1100, MarkerSize},     // smaller than the minimum slice
		{320, 180, 3000, 20, MarkerSize},     // maxPayload below what the tail needs
		{320, 180, 3000, 100, MarkerSize},    // small MTU
	}
	for _, key := range []bool{true, false} {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("key=%v/%+v", key, sz), func(t *testing.T) {
				res := packetize(t, key, sz.w, sz.h, sz.frameBytes, sz.maxPayload, sz.reserve)
				if res.lastSeen != len(res.payloads)-1 {
					t.Fatalf("last flag on payload %d of %d", res.lastSeen, len(res.payloads))
				}
				limit := max(sz.maxPayload, 2*(h264SliceHeaderMax+sz.reserve+8)+3, 1+2+len(h264SPS(sz.w, sz.h))+2+4+2+1+h264SliceHeaderMax+sz.reserve)
				for i, p := range res.payloads {
					if len(p) > limit || len(p) < sz.reserve+8 {
						t.Errorf("payload %d: %d bytes, want %d..%d", i, len(p), sz.reserve+8, limit)
					}
					if sz.maxPayload >= 1100 && len(p) > sz.maxPayload {
						t.Errorf("payload %d: %d bytes over maxPayload %d", i, len(p), sz.maxPayload)
					}
				}
				slices := res.nals
				if key {
					if res.payloads[0][0] != 0x78 {
						t.Fatalf("keyframe starts with %#x, want STAP-A", res.payloads[0][0])
					}
					if len(res.nals) < 3 {
						t.Fatalf("keyframe NALs %d", len(res.nals))
					}
					if s := parseSPS(t, res.nals[0]); s.width != sz.w || s.height != sz.h {
						t.Errorf("SPS says %dx%d", s.width, s.height)
					}
					if !bytes.Equal(res.nals[1], h264PPS()) {
						t.Errorf("PPS %x", res.nals[1])
					}
					slices = res.nals[2:]
				}
				coded := 0
				for i, nal := range slices {
					coded += len(nal)
					wantType, wantNRI, wantSliceType := byte(h264NALTypeSlice), byte(2), uint32(5)
					if key {
						wantType, wantNRI, wantSliceType = h264NALTypeIDR, 3, 7
					}
					if nal[0]&0x1f != wantType || nal[0]>>5 != wantNRI || nal[0]&0x80 != 0 {
						t.Errorf("slice %d NAL header %#x", i, nal[0])
					}
					firstMB, sliceType := sliceHeader(t, nal)
					if sliceType != wantSliceType || firstMB != uint32(i) {
						t.Errorf("slice %d: first_mb %d, slice_type %d", i, firstMB, sliceType)
					}
				}
				if len(slices) > 2 || (!key && len(slices) != 1) {
					t.Errorf("%d slices", len(slices))
				}
				if minSlice := 1 + h264SliceHeaderMax + sz.reserve; coded < sz.frameBytes || coded > max(sz.frameBytes, minSlice)+minSlice {
					t.Errorf("coded %d bytes for a %d-byte frame", coded, sz.frameBytes)
				}
			})
		}
	}
}

// TestH264KeyframeDetection checks what pkg/forwarder's isH264Keyframe
// looks at: the first packet of a keyframe is a STAP-A holding an SPS; no
// packet of a delta frame holds or starts an SPS or IDR.
func TestH264KeyframeDetection(t *testing.T) {
	keyNAL := func(p []byte) bool {
		switch typ := p[0] & 0x1f; typ {
		case h264NALTypeSTAPA:
			for i := 1; i+2 < len(p); {
				n := int(binary.BigEndian.Uint16(p[i:]))
				if t := p[i+2] & 0x1f; t == h264NALTypeSPS || t == h264NALTypeIDR {
					return true
				}
				i += 2 + n
			}
			return false
		case h264NALTypeFUA:
			return p[1]&0x80 != 0 && (p[1]&0x1f == h264NALTypeIDR || p[1]&0x1f == h264NALTypeSPS)
		default:
			return typ == h264NALTypeIDR || typ == h264NALTypeSPS
		}
	}
	key := packetize(t, true, 1280, 720, 20000, 1100, MarkerSize)
	if !keyNAL(key.payloads[0]) {
		t.Error("keyframe's first packet is not a keyframe start")
	}
	delta := packetize(t, false, 1280, 720, 20000, 1100, MarkerSize)
	for i, p := range delta.payloads {
		if keyNAL(p) {
			t.Errorf("delta payload %d looks like a keyframe", i)
		}
	}
}

func TestH264FrameNoAllocs(t *testing.T) {
	buf := make([]byte, 1500)
	emit := func([]byte, bool) {}
	allocs := testing.AllocsPerRun(20, func() {
		h264Frame(buf, true, 1280, 720, 20000, 1100, MarkerSize, emit)
		h264Frame(buf, false, 1280, 720, 5000, 1100, MarkerSize, emit)
	})
	if allocs != 0 {
		t.Errorf("%v allocs per key+delta frame", allocs)
	}
}

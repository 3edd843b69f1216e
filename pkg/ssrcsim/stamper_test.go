package ssrcsim

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

var testExt = Extensions{MID: 4, RID: 10, RepairedRID: 11}

func testLayers() []Layer {
	return []Layer{
		{MID: "1", RID: "l0", SSRC: 2001, RTXSSRC: 3001},
		{MID: "1", RID: "l1", SSRC: 2002, RTXSSRC: 3002},
		{MID: "1", RID: "l2", SSRC: 2003},
	}
}

// packet is a test RTP packet with the extensions a Webex client might send.
func packet(t testing.TB, ssrc uint32, mutate func(*rtp.Packet)) []byte {
	t.Helper()
	p := &rtp.Packet{
		Header:  rtp.Header{Version: 2, PayloadType: 102, SequenceNumber: 7, Timestamp: 90000, SSRC: ssrc, Marker: true},
		Payload: []byte{0x7c, 0x85, 1, 2, 3, 4, 5, 6, 7, 8, 9},
	}
	if mutate != nil {
		mutate(p)
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parse(t testing.TB, b []byte) *rtp.Packet {
	t.Helper()
	var p rtp.Packet
	if err := p.Unmarshal(b); err != nil {
		t.Fatalf("stamped packet does not parse: %v", err)
	}
	return &p
}

func TestStamp(t *testing.T) {
	mid, rid := "1", "l1"
	one := newElements(4, 10, mid, rid)
	long := newElements(4, 10, "a-mid-longer-than-16-bytes", rid) // forces the two-byte form
	tests := []struct {
		name   string
		mutate func(*rtp.Packet)
		e      *elements
		room   int // spare bytes in the buffer after the packet
		want   outcome
		grow   int
		keep   map[uint8][]byte // extensions that must survive
	}{
		{name: "no extension", e: &one, room: 64, want: stamped, grow: 12},
		{name: "exactly enough room", e: &one, room: 12, want: stamped, grow: 12},
		{name: "no room", e: &one, room: 11, want: noRoom},
		{name: "CSRCs, padding", e: &one, room: 64, want: stamped, grow: 12, mutate: func(p *rtp.Packet) {
			p.CSRC = []uint32{1, 2}
			p.Padding, p.PaddingSize = true, 5
		}},
		{name: "one-byte block", e: &one, room: 64, want: stamped, grow: 8, mutate: func(p *rtp.Packet) {
			_ = p.SetExtension(2, []byte{1, 2, 3})       // toffset
			_ = p.SetExtension(3, []byte{0xaa, 0xbb, 0}) // abs-send-time ending in a zero byte
		}, keep: map[uint8][]byte{2: {1, 2, 3}, 3: {0xaa, 0xbb, 0}}},
		{name: "one-byte block, no room", e: &one, room: 3, want: noRoom, mutate: func(p *rtp.Packet) {
			_ = p.SetExtension(2, []byte{9}) // 2 bytes used of 4: needs 4 more
		}},
		{name: "two-byte block", e: &one, room: 64, want: stamped, grow: 8, mutate: func(p *rtp.Packet) {
			p.Extension, p.ExtensionProfile = true, rtp.ExtensionProfileTwoByte
			_ = p.SetExtension(20, []byte{1, 2})
		}, keep: map[uint8][]byte{20: {1, 2}}},
		{name: "long mid: new two-byte block", e: &long, room: 64, want: stamped, grow: 36},
		{name: "long mid into one-byte block", e: &long, room: 64, want: unstampable, mutate: func(p *rtp.Packet) {
			_ = p.SetExtension(2, []byte{1})
		}},
		{name: "already has mid", e: &one, room: 64, want: present, mutate: func(p *rtp.Packet) {
			_ = p.SetExtension(4, []byte("1"))
		}},
		{name: "RFC 3550 extension", e: &one, room: 64, want: unstampable, mutate: func(p *rtp.Packet) {
			p.Extension, p.ExtensionProfile = true, 0x1234
			p.Extensions = nil
			_ = p.SetExtension(0, []byte{1, 2, 3, 4})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := packet(t, 2002, tt.mutate)
			orig := parse(t, raw)
			b := make([]byte, len(raw)+tt.room)
			copy(b, raw)
			n, out := stamp(b, len(raw), tt.e)
			if out != tt.want {
				t.Fatalf("outcome %d, want %d", out, tt.want)
			}
			if out != stamped {
				if n != len(raw) || !bytes.Equal(b[:n], raw) {
					t.Fatal("packet changed although not stamped")
				}
				return
			}
			if n != len(raw)+tt.grow {
				t.Errorf("grew by %d, want %d", n-len(raw), tt.grow)
			}
			p := parse(t, b[:n])
			midWant := mid
			if tt.e == &long {
				midWant = "a-mid-longer-than-16-bytes"
			}
			if got := string(p.GetExtension(4)); got != midWant {
				t.Errorf("mid %q", got)
			}
			if got := string(p.GetExtension(10)); got != rid {
				t.Errorf("rid %q", got)
			}
			for id, v := range tt.keep {
				if got := p.GetExtension(id); !bytes.Equal(got, v) {
					t.Errorf("extension %d = %x, want %x", id, got, v)
				}
			}
			if !bytes.Equal(p.Payload, orig.Payload) || p.PaddingSize != orig.PaddingSize ||
				p.SequenceNumber != orig.SequenceNumber || p.SSRC != orig.SSRC || p.Marker != orig.Marker ||
				len(p.CSRC) != len(orig.CSRC) {
				t.Errorf("packet changed beyond its extensions: %v vs %v", p, orig)
			}
		})
	}
}

// TestStampIntoPadding: elements that fit the padding of an existing block
// need no extra bytes.
func TestStampIntoPadding(t *testing.T) {
	e := newElements(4, 10, "1", "l0")
	raw := packet(t, 1, nil)
	// X bit, then a one-byte block of 2 words: element 2 (1 byte), 6 bytes padding.
	withBlock := append([]byte{raw[0] | 0x10}, raw[1:12]...)
	withBlock = append(withBlock, 0xbe, 0xde, 0, 2, 0x20, 9, 0, 0, 0, 0, 0, 0)
	withBlock = append(withBlock, raw[12:]...)
	b := append([]byte{}, withBlock...) // no spare room at all
	n, out := stamp(b, len(b), &e)
	if out != stamped || n != len(withBlock) {
		t.Fatalf("outcome %d, length %d -> %d", out, len(withBlock), n)
	}
	p := parse(t, b[:n])
	if string(p.GetExtension(4)) != "1" || string(p.GetExtension(10)) != "l0" || !bytes.Equal(p.GetExtension(2), []byte{9}) {
		t.Errorf("extensions %v", p.Extensions)
	}
	if !bytes.Equal(p.Payload, raw[12:]) {
		t.Error("payload changed")
	}
}

func TestStampMalformed(t *testing.T) {
	e := newElements(4, 10, "1", "l0")
	good := packet(t, 1, func(p *rtp.Packet) { _ = p.SetExtension(2, []byte{1}) })
	for name, b := range map[string][]byte{
		"short":                {0x80, 0, 0, 0},
		"version 1":            append([]byte{0x40}, good[1:]...),
		"CSRCs past the end":   append([]byte{0x8f}, good[1:12]...),
		"block past the end":   append(append([]byte{}, good[:14]...), 0xff, 0xff),
		"element past the end": append(append([]byte{}, good[:16]...), 0x2f, 0, 0, 0),
		"reserved ID 15":       append(append([]byte{}, good[:16]...), 0xf0, 0, 0, 0),
		"ID 0 with a length":   append(append([]byte{}, good[:16]...), 0x02, 0, 0, 0),
		"padding past header":  append([]byte{0xa0}, append(good[1:12], 1, 2, 3, 9)...),
		"zero padding count":   append([]byte{0xa0}, append(good[1:12], 1, 2, 3, 0)...),
	} {
		buf := make([]byte, len(b)+64)
		copy(buf, b)
		if n, out := stamp(buf, len(b), &e); out != unstampable || n != len(b) {
			t.Errorf("%s: outcome %d, length %d", name, out, n)
		}
	}
}

// feed returns a reader that yields the given packets, then io errors.
func feed(pkts ...[]byte) interceptor.RTPReader {
	i := 0
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		if i == len(pkts) {
			return 0, nil, errors.New("done")
		}
		n := copy(b, pkts[i])
		i++
		return n, a, nil
	})
}

func TestStamper(t *testing.T) {
	s := NewStamper()
	if err := s.Set(testLayers(), testExt); err != nil {
		t.Fatal(err)
	}
	it, err := s.NewInterceptor("pc")
	if err != nil || it != s {
		t.Fatalf("NewInterceptor = %v, %v", it, err)
	}
	tests := []struct {
		ssrc          uint32
		midID, ridID  uint8
		wantRID       string
		wantUntouched bool
	}{
		{ssrc: 2001, midID: 4, ridID: 10, wantRID: "l0"},
		{ssrc: 2003, midID: 4, ridID: 10, wantRID: "l2"},
		{ssrc: 3002, midID: 4, ridID: 11, wantRID: "l1"}, // RTX: repaired RID
		{ssrc: 9999, wantUntouched: true},
	}
	for _, tt := range tests {
		raw := packet(t, tt.ssrc, func(p *rtp.Packet) { _ = p.SetExtension(3, []byte{1, 2, 3}) })
		r := s.BindRemoteStream(&interceptor.StreamInfo{SSRC: tt.ssrc}, feed(raw))
		b := make([]byte, 1500)
		n, _, err := r.Read(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tt.wantUntouched {
			if !bytes.Equal(b[:n], raw) {
				t.Errorf("ssrc %d: unknown SSRC changed", tt.ssrc)
			}
			continue
		}
		p := parse(t, b[:n])
		if got := string(p.GetExtension(tt.midID)); got != "1" {
			t.Errorf("ssrc %d: mid %q", tt.ssrc, got)
		}
		if got := string(p.GetExtension(tt.ridID)); got != tt.wantRID {
			t.Errorf("ssrc %d: rid (ext %d) %q, want %q", tt.ssrc, tt.ridID, got, tt.wantRID)
		}
		other := uint8(10 + 11 - tt.ridID)
		if got := p.GetExtension(other); got != nil {
			t.Errorf("ssrc %d: unexpected extension %d = %q", tt.ssrc, other, got)
		}
	}
	if st := s.Stats(); st != (StamperStats{Stamped: 3}) {
		t.Errorf("stats %+v", st)
	}
}

func TestStamperLimitAndNoRoom(t *testing.T) {
	s := NewStamper()
	raw := packet(t, 2001, nil)
	pkts := make([][]byte, StampPackets+3)
	for i := range pkts {
		pkts[i] = raw
	}
	r := s.BindRemoteStream(&interceptor.StreamInfo{SSRC: 2001}, feed(pkts...))
	b := make([]byte, 1500)
	// Before Set the SSRC is unknown: untouched, and it does not count.
	if n, _, _ := r.Read(b, nil); !bytes.Equal(b[:n], raw) {
		t.Fatal("stamped before Set")
	}
	if err := s.Set(testLayers(), testExt); err != nil {
		t.Fatal(err)
	}
	// A buffer with no spare room: left alone, counted.
	if n, _, _ := r.Read(b[:len(raw)], nil); !bytes.Equal(b[:n], raw) {
		t.Fatal("stamped without room")
	}
	for i := range StampPackets {
		n, _, _ := r.Read(b, nil)
		if parse(t, b[:n]).GetExtension(testExt.RID) == nil {
			t.Fatalf("packet %d not stamped", i)
		}
	}
	if n, _, _ := r.Read(b, nil); !bytes.Equal(b[:n], raw) {
		t.Fatal("stamped past StampPackets")
	}
	if st := s.Stats(); st != (StamperStats{Stamped: StampPackets, NoRoom: 1}) {
		t.Errorf("stats %+v", st)
	}
	// Clearing the table stops stamping on a fresh stream.
	if err := s.Set(nil, Extensions{}); err != nil {
		t.Fatal(err)
	}
	r = s.BindRemoteStream(&interceptor.StreamInfo{SSRC: 2001}, feed(raw))
	if n, _, _ := r.Read(b, nil); !bytes.Equal(b[:n], raw) {
		t.Fatal("stamped after the table was cleared")
	}
}

func TestStamperSetErrors(t *testing.T) {
	l := Layer{MID: "1", RID: "l0", SSRC: 1}
	tests := []struct {
		name   string
		layers []Layer
		ext    Extensions
	}{
		{"zero SSRC", []Layer{{MID: "1", RID: "l0"}}, testExt},
		{"empty MID", []Layer{{RID: "l0", SSRC: 1}}, testExt},
		{"empty RID", []Layer{{MID: "1", SSRC: 1}}, testExt},
		{"duplicate SSRC", []Layer{l, {MID: "1", RID: "l1", SSRC: 2, RTXSSRC: 1}}, testExt},
		{"no MID ID", []Layer{l}, Extensions{RID: 2}},
		{"same IDs", []Layer{l}, Extensions{MID: 2, RID: 2}},
		{"RTX without repaired-RID ID", []Layer{{MID: "1", RID: "l0", SSRC: 1, RTXSSRC: 2}}, Extensions{MID: 1, RID: 2}},
	}
	for _, tt := range tests {
		s := NewStamper()
		if err := s.Set(testLayers(), testExt); err != nil {
			t.Fatal(err)
		}
		if err := s.Set(tt.layers, tt.ext); !errors.Is(err, ErrInvalidLayers) {
			t.Errorf("%s: err %v", tt.name, err)
		}
		// A rejected Set keeps the previous table.
		r := s.BindRemoteStream(&interceptor.StreamInfo{}, feed(packet(t, 2001, nil)))
		b := make([]byte, 1500)
		if n, _, _ := r.Read(b, nil); parse(t, b[:n]).GetExtension(testExt.RID) == nil {
			t.Errorf("%s: previous table lost", tt.name)
		}
	}
}

func TestStamperNoAllocs(t *testing.T) {
	s := NewStamper()
	if err := s.Set(testLayers(), testExt); err != nil {
		t.Fatal(err)
	}
	raw := packet(t, 2002, func(p *rtp.Packet) { _ = p.SetExtension(3, []byte{1, 2, 3}) })
	b := make([]byte, 1500)
	src := interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		return copy(b, raw), a, nil
	})
	r := &streamReader{s: s, next: src}
	allocs := testing.AllocsPerRun(100, func() {
		r.done.Store(0)
		if _, _, err := r.Read(b, nil); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocs per stamped packet", allocs)
	}
}

func BenchmarkStamper(b *testing.B) {
	s := NewStamper()
	if err := s.Set(testLayers(), testExt); err != nil {
		b.Fatal(err)
	}
	raw := packet(b, 2002, func(p *rtp.Packet) {
		_ = p.SetExtension(3, []byte{1, 2, 3})
		p.Payload = make([]byte, 1100)
	})
	buf := make([]byte, 1500)
	src := interceptor.RTPReaderFunc(func(p []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		return copy(p, raw), a, nil
	})
	for _, bc := range []struct {
		name  string
		stamp bool
	}{{"stamp", true}, {"after-limit", false}} {
		b.Run(bc.name, func(b *testing.B) {
			r := &streamReader{s: s, next: src}
			if !bc.stamp {
				r.done.Store(StampPackets)
			}
			b.ReportAllocs()
			for b.Loop() {
				if bc.stamp {
					r.done.Store(0)
				}
				_, _, _ = r.Read(buf, nil)
			}
		})
	}
}

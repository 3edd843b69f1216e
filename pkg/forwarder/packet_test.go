package forwarder

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pion/rtp"
)

func TestPacketUnmarshal(t *testing.T) {
	withCSRC := func() []byte {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 7, Timestamp: 9, SSRC: 1, CSRC: []uint32{5, 6}}, Payload: []byte{1, 2, 3}}
		raw, _ := p.Marshal()
		return raw
	}
	twoByteLevel := func() []byte {
		h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 7, SSRC: 1}
		_ = h.SetExtensionWithProfile(3, make([]byte, 20), rtp.ExtensionProfileTwoByte)
		_ = h.SetExtension(1, []byte{0x85})
		raw, _ := (&rtp.Packet{Header: h, Payload: []byte{9}}).Marshal()
		return raw
	}
	for _, tc := range []struct {
		name    string
		raw     []byte
		err     error
		payload []byte
		level   int // -1 none
	}{
		{"plain", pkt{seq: 1, payload: []byte{1, 2}, audioLevel: -1}.build(t), nil, []byte{1, 2}, -1},
		{"audio level among other extensions", pkt{seq: 1, payload: []byte{1}, audioLevel: 0x9f, otherExt: true}.build(t), nil, []byte{1}, 0x9f},
		{"two-byte extensions", twoByteLevel(), nil, []byte{9}, 0x85},
		{"padding", pkt{seq: 1, payload: []byte{1, 2, 3}, audioLevel: -1, padding: 4}.build(t), nil, []byte{1, 2, 3}, -1},
		{"padding only", pkt{seq: 1, audioLevel: -1, padding: 200}.build(t), nil, []byte{}, -1},
		{"csrc", withCSRC(), nil, []byte{1, 2, 3}, -1},
		{"empty", nil, errShortPacket, nil, -1},
		{"short header", []byte{0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0}, errShortPacket, nil, -1},
		{"version 1", []byte{0x40, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, errBadVersion, nil, -1},
		{"csrc count past end", []byte{0x8f, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, errShortPacket, nil, -1},
		{"extension header past end", []byte{0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde}, errShortPacket, nil, -1},
		{"extension length past end", []byte{0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 9, 0x10, 1, 0, 0}, errShortPacket, nil, -1},
		{"padding bit, no padding byte", []byte{0xa0, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, errBadPadding, nil, -1},
		{"padding length zero", []byte{0xa0, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 7, 0}, errBadPadding, nil, -1},
		{"padding longer than payload", []byte{0xa0, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 7, 3}, errBadPadding, nil, -1},
		{"bad extension element is tolerated", []byte{0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 0x1f, 0, 0, 0, 0xaa}, nil, []byte{0xaa}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p packet
			err := p.unmarshal(tc.raw, 1)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if !bytes.Equal(p.payload, tc.payload) {
				t.Errorf("payload = %x, want %x", p.payload, tc.payload)
			}
			if got := p.hasAudioLevel; got != (tc.level >= 0) || (got && int(p.audioLevel) != tc.level) {
				t.Errorf("audio level = %v/%x, want %x", got, p.audioLevel, tc.level)
			}
			// Agrees with pion on everything pion can parse.
			var rp rtp.Packet
			if perr := rp.Unmarshal(tc.raw); perr == nil {
				if rp.SequenceNumber != p.sequenceNumber || rp.Timestamp != p.timestamp || rp.SSRC != p.ssrc ||
					rp.PayloadType != p.payloadType || rp.Marker != p.marker || !bytes.Equal(rp.Payload, p.payload) {
					t.Errorf("differs from pion: %+v vs %+v", rp.Header, p)
				}
			}
		})
	}
}

func TestPacketUnmarshalDoesNotAllocate(t *testing.T) {
	good := pkt{seq: 1, payload: []byte{1}, audioLevel: 3, otherExt: true}.build(t)
	bad := []byte{0xa0, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 7, 3}
	var p packet
	if n := testing.AllocsPerRun(100, func() {
		_ = p.unmarshal(good, 1)
		_ = p.unmarshal(bad, 1)
	}); n != 0 {
		t.Errorf("unmarshal allocates %v times", n)
	}
}

package forwarder

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// FuzzRTCP feeds arbitrary bytes, as a subscriber's (decrypted) compound
// RTCP, to a DownTrack that has forwarded packets: parse errors are
// rejected by pion/rtcp, and whatever parses (NACKs for any sequence
// numbers, PLI/FIR for any SSRC, reports) must never panic or emit an
// invalid packet.
func FuzzRTCP(f *testing.F) {
	seeds := [][]rtcp.Packet{
		{&rtcp.TransportLayerNack{MediaSSRC: downSSRC, Nacks: []rtcp.NackPair{{PacketID: 0, LostPackets: 0xffff}}}},
		{&rtcp.PictureLossIndication{MediaSSRC: downSSRC}, &rtcp.FullIntraRequest{MediaSSRC: downSSRC, FIR: []rtcp.FIREntry{{SSRC: downSSRC}}}},
		{&rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: downSSRC, FractionLost: 255}}}, &rtcp.PictureLossIndication{MediaSSRC: 7}},
	}
	for _, s := range seeds {
		b, err := rtcp.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x80, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0xff, 0xff}) // truncated NACK
	f.Fuzz(func(t *testing.T, raw []byte) {
		now := time.Unix(1_700_000_000, 0)
		r := NewReceiver(ReceiverOptions{Kind: webrtc.RTPCodecTypeVideo, Codec: upVP8, CacheSize: 16, Now: func() time.Time { return now }})
		w := &checkingWriter{t: t}
		d, err := NewDownTrack(DownTrackOptions{ID: "fuzz", Receiver: r})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Bind(&fakeContext{codecs: downVideoCodecs, ssrc: downSSRC, rtx: downRTXSSRC, writer: w}); err != nil {
			t.Fatal(err)
		}
		r.AddDownTrack(d)
		for i := range 8 {
			r.HandlePacket(vp8(uint16(100+i), 3000, i == 0).build(t))
		}
		pkts, err := rtcp.Unmarshal(raw)
		if err != nil {
			return
		}
		d.handleRTCP(pkts)
		if st := d.Stats(); st.Packets+st.Retransmits+st.Padding != uint64(w.n) {
			t.Fatalf("stats %+v do not match %d writes", st, w.n)
		}
	})
}

package forwarder

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// checkingWriter marshals every packet the way pion's SRTP writer would and
// fails the test if the result is not valid RTP.
type checkingWriter struct {
	t   *testing.T
	buf [4096]byte
	n   int
}

func (w *checkingWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	n, err := rtp.MarshalPacketTo(w.buf[:], h, payload)
	if err != nil {
		w.t.Fatalf("forwarded header does not marshal: %v", err)
	}
	var p rtp.Packet
	if err := p.Unmarshal(w.buf[:n]); err != nil {
		w.t.Fatalf("forwarded packet does not parse: %v", err)
	}
	if p.SSRC != downSSRC && p.SSRC != downRTXSSRC {
		w.t.Fatalf("forwarded on SSRC %x", p.SSRC)
	}
	w.n++
	return n, nil
}

func (w *checkingWriter) Write(b []byte) (int, error) { return len(b), nil }

var fuzzCodecs = []webrtc.RTPCodecParameters{
	upVP8,
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000}, PayloadType: 102},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000}, PayloadType: 98},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeAV1, ClockRate: 90000}, PayloadType: 45},
	upOpus,
}

func FuzzHandlePacket(f *testing.F) {
	// Seeds live in testdata/fuzz/FuzzHandlePacket.
	f.Fuzz(func(t *testing.T, codec uint8, raw []byte) {
		c := fuzzCodecs[int(codec)%len(fuzzCodecs)]
		kind := webrtc.RTPCodecTypeVideo
		codecs := downVideoCodecs
		if c.MimeType == webrtc.MimeTypeOpus {
			kind, codecs = webrtc.RTPCodecTypeAudio, downAudioCodecs
		}
		if c.MimeType == webrtc.MimeTypeVP9 || c.MimeType == webrtc.MimeTypeAV1 {
			codecs = append(append([]webrtc.RTPCodecParameters(nil), codecs...), webrtc.RTPCodecParameters{
				RTPCodecCapability: c.RTPCodecCapability, PayloadType: 110,
			})
		}
		now := time.Unix(1_700_000_000, 0)
		r := NewReceiver(ReceiverOptions{
			Kind: kind, Codec: c, AudioLevelExtensionID: 1, CacheSize: 16,
			Now: func() time.Time { return now },
		})
		w := &checkingWriter{t: t}
		d, err := NewDownTrack(DownTrackOptions{ID: "fuzz", Receiver: r})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Bind(&fakeContext{
			codecs: codecs, ssrc: downSSRC, rtx: downRTXSSRC, writer: w,
			exts: []webrtc.RTPHeaderExtensionParameter{{URI: audioLevelURI, ID: 4}},
		}); err != nil {
			t.Fatal(err)
		}
		r.AddDownTrack(d)

		// The fuzzed packet twice (duplicate), then mutated copies, with a
		// NACK for everything sent so far after each.
		for i := range 4 {
			buf := append([]byte(nil), raw...)
			if i >= 2 && len(buf) >= 4 {
				buf[3] += byte(i) // another sequence number
			}
			r.HandlePacket(buf)
			for j := range buf {
				buf[j] = 0xEE // the receiver must not keep raw after returning
			}
			if s := d.munger.segment(); s != nil {
				d.handleRTCP([]rtcp.Packet{&rtcp.TransportLayerNack{
					MediaSSRC: downSSRC,
					Nacks:     []rtcp.NackPair{{PacketID: s.firstOut, LostPackets: 0xFFFF}},
				}})
			}
		}
		st, rs := d.Stats(), r.Stats()
		if st.Packets+st.Retransmits != uint64(w.n) {
			t.Fatalf("stats %+v do not match %d writes", st, w.n)
		}
		if st.Packets > rs.Packets || rs.Packets+rs.Malformed+rs.Mismatched+rs.Duplicates != 4 {
			t.Fatalf("receiver stats %+v", rs)
		}
	})
}

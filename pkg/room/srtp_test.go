package room

import (
	"fmt"
	"testing"

	"github.com/pion/dtls/v3"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"
)

func TestPreferGCM(t *testing.T) {
	var se webrtc.SettingEngine
	if err := preferGCM(&se); err != nil {
		t.Fatal(err)
	}
	if srtpProfiles[0] != dtls.SRTP_AEAD_AES_128_GCM || srtpProfiles[len(srtpProfiles)-1] != dtls.SRTP_AES128_CM_HMAC_SHA1_80 {
		t.Fatalf("profiles %v", srtpProfiles)
	}
}

// BenchmarkSRTPProfiles encrypts one 1000-byte RTP packet per op with each
// profile the node offers, as the send path does for every forwarded copy.
func BenchmarkSRTPProfiles(b *testing.B) {
	for _, p := range []srtp.ProtectionProfile{
		srtp.ProtectionProfileAeadAes128Gcm,
		srtp.ProtectionProfileAeadAes256Gcm,
		srtp.ProtectionProfileAes128CmHmacSha1_80,
	} {
		b.Run(fmt.Sprint(p), func(b *testing.B) {
			keyLen, err := p.KeyLen()
			if err != nil {
				b.Fatal(err)
			}
			saltLen, err := p.SaltLen()
			if err != nil {
				b.Fatal(err)
			}
			ctx, err := srtp.CreateContext(make([]byte, keyLen), make([]byte, saltLen), p)
			if err != nil {
				b.Fatal(err)
			}
			h := rtp.Header{Version: 2, PayloadType: 96, SSRC: 1}
			payload := make([]byte, 1000)
			raw := make([]byte, 0, 1100)
			out := make([]byte, 1100)
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for i := 0; b.Loop(); i++ {
				h.SequenceNumber = uint16(i)
				pkt := rtp.Packet{Header: h, Payload: payload}
				m, err := pkt.MarshalTo(raw[:cap(raw)])
				if err != nil {
					b.Fatal(err)
				}
				if _, err := ctx.EncryptRTP(out, raw[:m], &h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

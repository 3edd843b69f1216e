package room

import (
	"github.com/pion/dtls/v3"
	"github.com/pion/webrtc/v4"
)

// srtpProfiles is the node's SRTP preference: AES-GCM first, because it
// costs a fraction of AES-CM + HMAC-SHA1 per packet (BenchmarkSRTPProfiles:
// one authenticated pass instead of a cipher pass plus an HMAC), and the
// 128-bit key before the 256-bit one (fewer AES rounds). AES-CM stays for
// endpoints without GCM.
var srtpProfiles = []dtls.SRTPProtectionProfile{
	dtls.SRTP_AEAD_AES_128_GCM,
	dtls.SRTP_AEAD_AES_256_GCM,
	dtls.SRTP_AES128_CM_HMAC_SHA1_80,
}

// preferGCM makes the node choose the SRTP profile: the DTLS server picks
// it from the client's list by its own preference, and pion answers as the
// DTLS client by default, which lets the browser decide. Chromium offers
// GCM but, as the server, picks AES-CM + HMAC; with the node as the server
// (setup:passive in the node's answers) Chromium gets GCM. When the node
// offers, its actpass already lets clients take the client role.
func preferGCM(se *webrtc.SettingEngine) error {
	se.SetSRTPProtectionProfiles(srtpProfiles...)
	return se.SetAnsweringDTLSRole(webrtc.DTLSRoleServer)
}

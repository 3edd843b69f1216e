package client

import (
	"fmt"
	"strings"

	"github.com/pion/webrtc/v4"

	"github.com/switchyard-sfu/switchyard/pkg/simulcast"
)

// toSSRCSimulcast rewrites the simulcast m-line mid of an SDP pion wrote
// (a=rid, a=simulcast) into the form Webex clients send: no RIDs, an
// a=ssrc-group:SIM of the encodings' SSRCs, lowest first, and each layer's
// frame size as a=ssrc:<ssrc> fmtp:* max-fs=<n>. pion already wrote the
// a=ssrc lines and the FID groups. Other m-lines are unchanged.
func toSSRCSimulcast(sdpText, mid string, encodings []webrtc.RTPEncodingParameters, layers []SimulcastLayer) string {
	lines := strings.Split(strings.TrimSuffix(sdpText, "\r\n"), "\r\n")
	out := make([]string, 0, len(lines)+len(encodings)+1)
	inMedia, done := false, false
	for _, l := range lines {
		if strings.HasPrefix(l, "m=") {
			inMedia = false
		}
		if l == "a=mid:"+mid {
			inMedia = true
		}
		if inMedia {
			if strings.HasPrefix(l, "a=rid:") || strings.HasPrefix(l, "a=simulcast:") {
				continue
			}
			if !done && (strings.HasPrefix(l, "a=ssrc-group:") || strings.HasPrefix(l, "a=ssrc:")) {
				ssrcs := make([]string, len(encodings))
				for i, e := range encodings {
					ssrcs[i] = fmt.Sprint(e.SSRC)
				}
				out = append(out, "a=ssrc-group:SIM "+strings.Join(ssrcs, " "))
				for i, e := range encodings {
					if i < len(layers) {
						out = append(out, fmt.Sprintf("a=ssrc:%d fmtp:* max-fs=%d", e.SSRC, simulcast.FrameSize(layers[i].Width, layers[i].Height)))
					}
				}
				done = true
			}
		}
		out = append(out, l)
	}
	return strings.Join(out, "\r\n") + "\r\n"
}

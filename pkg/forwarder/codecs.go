package forwarder

import (
	"strings"

	"github.com/pion/webrtc/v4"
)

// boundCodec is one codec the subscriber negotiated for the DownTrack's kind.
type boundCodec struct {
	params webrtc.RTPCodecParameters
	rtxPT  uint8 // 0: no RTX for it
}

// isMediaCodec reports whether c carries media of kind (not RTX, RED or FEC).
func isMediaCodec(c webrtc.RTPCodecParameters, kind webrtc.RTPCodecType) bool {
	mime := strings.ToLower(c.MimeType)
	prefix := "video/"
	if kind == webrtc.RTPCodecTypeAudio {
		prefix = "audio/"
	}
	if !strings.HasPrefix(mime, prefix) {
		return false
	}
	switch mime[len(prefix):] {
	case "rtx", "red", "ulpfec", "flexfec-03", "flexfec":
		return false
	}
	return true
}

// bindCodecs lists the media codecs of kind among the negotiated ones, with
// their RTX payload types.
func bindCodecs(codecs []webrtc.RTPCodecParameters, kind webrtc.RTPCodecType) []boundCodec {
	var out []boundCodec
	for _, c := range codecs {
		if !isMediaCodec(c, kind) {
			continue
		}
		bc := boundCodec{params: c}
		if pt, ok := rtxPayloadType(c.PayloadType, codecs); ok {
			bc.rtxPT = uint8(pt)
		}
		out = append(out, bc)
	}
	return out
}

// allows reports whether the DownTrackOptions.Codecs restriction admits mime.
func (d *DownTrack) allows(mime string) bool {
	if len(d.allowed) == 0 {
		return true
	}
	for _, a := range d.allowed {
		if strings.EqualFold(a.MimeType, mime) {
			return true
		}
	}
	return false
}

// matchBound finds want among the bound codecs: same mime type and fmtp line
// first, then the same mime type alone. It does not allocate.
func matchBound(want *webrtc.RTPCodecParameters, codecs []boundCodec) (*boundCodec, bool) {
	for i := range codecs {
		c := &codecs[i]
		if strings.EqualFold(c.params.MimeType, want.MimeType) && c.params.SDPFmtpLine == want.SDPFmtpLine {
			return c, true
		}
	}
	for i := range codecs {
		if strings.EqualFold(codecs[i].params.MimeType, want.MimeType) {
			return &codecs[i], true
		}
	}
	return nil, false
}

// chooseCodec picks the codec Bind reports to pion: the source's (current,
// else pending) when negotiated; else, unless the DownTrack was made for one
// Receiver's codec, the first negotiated codec in DownTrackOptions.Codecs
// order, or in negotiation order.
func (d *DownTrack) chooseCodec(codecs []boundCodec) (*boundCodec, string, bool) {
	src := d.keyframeSource()
	if src != nil {
		want := src.Codec()
		if c, ok := matchBound(&want, codecs); ok && d.allows(want.MimeType) {
			return c, "", true
		}
		if d.strictCodec {
			return nil, want.MimeType, false
		}
	}
	for _, a := range d.allowed {
		for i := range codecs {
			if strings.EqualFold(codecs[i].params.MimeType, a.MimeType) {
				return &codecs[i], "", true
			}
		}
	}
	if len(d.allowed) == 0 && len(codecs) > 0 {
		return &codecs[0], "", true
	}
	if len(d.allowed) > 0 {
		return nil, d.allowed[0].MimeType, false
	}
	return nil, d.kind.String(), false
}

// ptCache remembers the outgoing payload types of one (binding, source) pair
// so the packet path resolves them once per switch, not per packet. Each
// goroutine that writes (forwarding, RTCP) has its own.
type ptCache struct {
	b         *binding
	src       *Receiver
	pt, rtxPT uint8
	ok        bool
}

// lookup returns the payload type and RTX payload type (0: none) for src's
// codec on b, or ok=false when the subscriber did not negotiate that codec
// or the DownTrack does not allow it.
func (c *ptCache) lookup(d *DownTrack, b *binding, src *Receiver) (pt, rtxPT uint8, ok bool) {
	if c.b != b || c.src != src {
		c.b, c.src, c.ok = b, src, false
		if d.allows(src.opts.Codec.MimeType) {
			if bc, found := matchBound(&src.opts.Codec, b.codecs); found {
				c.pt, c.rtxPT, c.ok = uint8(bc.params.PayloadType), bc.rtxPT, true
			}
		}
	}
	return c.pt, c.rtxPT, c.ok
}

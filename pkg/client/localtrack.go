package client

import (
	"errors"
	"strings"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// localTrack is a minimal webrtc.TrackLocal that remembers what was
// negotiated (payload type, SSRC, audio-level extension id) so the
// synthetic sources can stamp real header extensions.
type localTrack struct {
	id, streamID, rid string
	codec             webrtc.RTPCodecCapability

	mu         sync.Mutex
	writer     webrtc.TrackLocalWriter
	pt         uint8
	ssrc       uint32
	audioLevel uint8 // negotiated extension ids, 0 if none
	midExt     uint8
	ridExt     uint8
	mid        string // the transceiver's mid, once negotiated
	// noSimulcastExt leaves out the MID/RID extensions (SSRC-signalled
	// simulcast, as Webex clients send it).
	noSimulcastExt bool
}

var errNotBound = errors.New("track not bound")

func (t *localTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, t.codec.MimeType) {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.writer = ctx.WriteStream()
			t.pt = uint8(c.PayloadType)
			t.ssrc = uint32(ctx.SSRC())
			t.audioLevel, t.midExt, t.ridExt = 0, 0, 0
			for _, e := range ctx.HeaderExtensions() {
				switch e.URI {
				case sdp.AudioLevelURI:
					t.audioLevel = uint8(e.ID)
				case sdp.SDESMidURI:
					t.midExt = uint8(e.ID)
				case sdp.SDESRTPStreamIDURI:
					t.ridExt = uint8(e.ID)
				}
			}
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
}

func (t *localTrack) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writer = nil
	return nil
}

func (t *localTrack) ID() string  { return t.id }
func (t *localTrack) RID() string { return t.rid }

// setMid records the transceiver's mid for the MID header extension, which
// simulcast receivers (pion included) need to demultiplex RIDs.
func (t *localTrack) setMid(mid string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.mid = mid
}
func (t *localTrack) StreamID() string { return t.streamID }
func (t *localTrack) Kind() webrtc.RTPCodecType {
	if strings.HasPrefix(strings.ToLower(t.codec.MimeType), "audio/") {
		return webrtc.RTPCodecTypeAudio
	}
	return webrtc.RTPCodecTypeVideo
}

// write sends one packet; level >= 0 adds the RFC 6464 audio level
// (-dBov, 0 loudest .. 127 silence) when negotiated.
func (t *localTrack) write(h *rtp.Header, payload []byte, level int) error {
	t.mu.Lock()
	w, pt, ssrc, ext, midExt, ridExt, mid := t.writer, t.pt, t.ssrc, t.audioLevel, t.midExt, t.ridExt, t.mid
	t.mu.Unlock()
	if w == nil {
		return errNotBound
	}
	h.PayloadType = pt
	h.SSRC = ssrc
	if t.rid != "" && !t.noSimulcastExt && midExt != 0 && ridExt != 0 && mid != "" {
		if err := h.SetExtension(midExt, []byte(mid)); err != nil {
			return err
		}
		if err := h.SetExtension(ridExt, []byte(t.rid)); err != nil {
			return err
		}
	}
	if level >= 0 && ext != 0 {
		// Voice activity flag in the top bit, level in the low 7 bits.
		b := byte(level & 0x7f)
		if level < 127 {
			b |= 0x80
		}
		if err := h.SetExtension(ext, []byte{b}); err != nil {
			return err
		}
	}
	_, err := w.WriteRTP(h, payload)
	return err
}

package forwarder

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
)

// audioLevelURI is the RFC 6464 header extension (sdp.AudioLevelURI).
const audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

var _ webrtc.TrackLocal = (*DownTrack)(nil)

// Bind is called by pion when the subscriber's negotiation completes. It
// remembers every negotiated codec of the kind (a receive slot may carry
// several over time: each packet goes out with the payload type of its
// source's codec), the SSRC, write stream, RTX SSRC and payload types when
// negotiated, and the audio-level extension ID. It reports to pion the
// source's codec (a DownTrack made for one Receiver without
// DownTrackOptions.Codecs fails if that is not negotiated), else the first
// negotiated codec that DownTrackOptions.Codecs allows. A video track with a
// source then waits for a keyframe and asks for one.
func (d *DownTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	codecs := bindCodecs(ctx.CodecParameters(), d.kind)
	chosen, want, ok := d.chooseCodec(codecs)
	if !ok {
		return webrtc.RTPCodecParameters{}, fmt.Errorf("%w: %s", ErrCodecNotNegotiated, want)
	}
	writer := ctx.WriteStream()
	if writer == nil {
		return webrtc.RTPCodecParameters{}, ErrNoWriteStream
	}
	codec := chosen.params
	b := &binding{
		epoch:       d.bindings.Add(1),
		codec:       codec,
		codecs:      codecs,
		ssrc:        uint32(ctx.SSRC()),
		payloadType: uint8(codec.PayloadType),
		writer:      writer,
	}
	if rtxSSRC := uint32(ctx.SSRCRetransmission()); rtxSSRC != 0 {
		for _, c := range codecs {
			if c.rtxPT != 0 {
				b.rtxSSRC = rtxSSRC
			}
		}
		b.rtxPayloadType = chosen.rtxPT
	}
	for _, e := range ctx.HeaderExtensions() {
		if e.URI == audioLevelURI && e.ID > 0 && e.ID < 256 {
			b.audioLevelID = uint8(e.ID)
		}
	}
	if src := d.keyframeSource(); src != nil && src.detectKeyframes {
		// Before publishing the binding, so the read goroutine never forwards
		// a delta frame on it.
		d.beginKeyframeWait(src, src.opts.Now())
	}
	d.bound.Store(b)
	d.logger.Debug("down track bound",
		zap.String("id", d.id),
		zap.String("codec", codec.MimeType),
		zap.Uint8("pt", b.payloadType),
		zap.Int("codecs", len(codecs)),
		zap.Uint32("ssrc", b.ssrc),
		zap.Uint32("rtxSSRC", b.rtxSSRC),
		zap.Uint8("rtxPT", b.rtxPayloadType),
		zap.Uint8("audioLevelID", b.audioLevelID))
	return codec, nil
}

// Unbind is called by pion when the track is removed from the
// PeerConnection; forwarding stops until the next Bind.
func (d *DownTrack) Unbind(webrtc.TrackLocalContext) error {
	d.bound.Store(nil)
	return nil
}

// ID returns the track ID the subscriber sees.
func (d *DownTrack) ID() string { return d.id }

// RID returns "": a DownTrack sends a single encoding.
func (d *DownTrack) RID() string { return "" }

// StreamID returns the stream ID (msid) the subscriber sees.
func (d *DownTrack) StreamID() string { return d.streamID }

// Kind returns the track's kind (DownTrackOptions.Kind, or the Receiver's).
func (d *DownTrack) Kind() webrtc.RTPCodecType { return d.kind }

// rtxPayloadType finds the video/rtx codec whose fmtp has apt=<primary>.
func rtxPayloadType(primary webrtc.PayloadType, codecs []webrtc.RTPCodecParameters) (webrtc.PayloadType, bool) {
	apt := "apt=" + strconv.Itoa(int(primary))
	for _, c := range codecs {
		if !strings.EqualFold(c.MimeType, webrtc.MimeTypeRTX) {
			continue
		}
		for param := range strings.SplitSeq(c.SDPFmtpLine, ";") {
			if strings.TrimSpace(param) == apt {
				return c.PayloadType, true
			}
		}
	}
	return 0, false
}

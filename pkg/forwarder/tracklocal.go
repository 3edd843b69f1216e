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

// Bind is called by pion when the subscriber's negotiation completes. It picks
// the negotiated codec matching the Receiver's (same mime type, same fmtp line
// preferred), and remembers the payload type, SSRC, write stream, RTX SSRC and
// payload type when negotiated, and the audio-level extension ID. A video
// track then waits for a keyframe and asks the publisher for one.
func (d *DownTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	want := d.receiver.Codec()
	codecs := ctx.CodecParameters()
	codec, ok := matchCodec(want, codecs)
	if !ok {
		return webrtc.RTPCodecParameters{}, fmt.Errorf("%w: %s", ErrCodecNotNegotiated, want.MimeType)
	}
	writer := ctx.WriteStream()
	if writer == nil {
		return webrtc.RTPCodecParameters{}, ErrNoWriteStream
	}
	b := &binding{
		epoch:       d.bindings.Add(1),
		codec:       codec,
		ssrc:        uint32(ctx.SSRC()),
		payloadType: uint8(codec.PayloadType),
		writer:      writer,
	}
	if rtxSSRC := uint32(ctx.SSRCRetransmission()); rtxSSRC != 0 {
		if pt, ok := rtxPayloadType(codec.PayloadType, codecs); ok {
			b.rtxSSRC, b.rtxPayloadType = rtxSSRC, uint8(pt)
		}
	}
	for _, e := range ctx.HeaderExtensions() {
		if e.URI == audioLevelURI && e.ID > 0 && e.ID < 256 {
			b.audioLevelID = uint8(e.ID)
		}
	}
	if d.waitsForKeyframe {
		// Before publishing the binding, so the read goroutine never forwards
		// a delta frame on it.
		d.beginKeyframeWait(d.receiver.opts.Now())
	}
	d.bound.Store(b)
	d.logger.Debug("down track bound",
		zap.String("id", d.id),
		zap.String("codec", codec.MimeType),
		zap.Uint8("pt", b.payloadType),
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

// Kind returns the Receiver's kind.
func (d *DownTrack) Kind() webrtc.RTPCodecType { return d.receiver.Kind() }

// matchCodec finds want among the negotiated codecs: same mime type and fmtp
// line first, then the same mime type alone.
func matchCodec(want webrtc.RTPCodecParameters, codecs []webrtc.RTPCodecParameters) (webrtc.RTPCodecParameters, bool) {
	for _, c := range codecs {
		if strings.EqualFold(c.MimeType, want.MimeType) && c.SDPFmtpLine == want.SDPFmtpLine {
			return c, true
		}
	}
	for _, c := range codecs {
		if strings.EqualFold(c.MimeType, want.MimeType) {
			return c, true
		}
	}
	return webrtc.RTPCodecParameters{}, false
}

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

package forwarder

import (
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// fakeClock is an injectable clock that only moves when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sent is one packet as it would leave pion: marshaled and parsed back.
type sent struct {
	rtp.Packet
	raw []byte
}

// recordingWriter is a webrtc.TrackLocalWriter that keeps what it is given,
// marshaled the way pion's SRTP writer would.
type recordingWriter struct {
	mu   sync.Mutex
	pkts []sent
	err  error
}

func (w *recordingWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	buf := make([]byte, rtp.PacketMarshalSize(h, payload))
	n, err := rtp.MarshalPacketTo(buf, h, payload)
	if err != nil {
		return 0, err
	}
	var p rtp.Packet
	if err := p.Unmarshal(buf[:n]); err != nil {
		return 0, err
	}
	w.pkts = append(w.pkts, sent{Packet: p, raw: buf[:n]})
	return n, nil
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	var p rtp.Packet
	if err := p.Unmarshal(b); err != nil {
		return 0, err
	}
	return w.WriteRTP(&p.Header, p.Payload)
}

func (w *recordingWriter) packets() []sent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]sent(nil), w.pkts...)
}

func (w *recordingWriter) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pkts = nil
}

// discardWriter is a webrtc.TrackLocalWriter that drops everything, for
// benchmarks.
type discardWriter struct{}

func (discardWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	return h.MarshalSize() + len(payload), nil
}
func (discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// fakeContext implements webrtc.TrackLocalContext.
type fakeContext struct {
	codecs []webrtc.RTPCodecParameters
	exts   []webrtc.RTPHeaderExtensionParameter
	ssrc   webrtc.SSRC
	rtx    webrtc.SSRC
	writer webrtc.TrackLocalWriter
}

func (c *fakeContext) CodecParameters() []webrtc.RTPCodecParameters { return c.codecs }
func (c *fakeContext) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter {
	return c.exts
}
func (c *fakeContext) SSRC() webrtc.SSRC                       { return c.ssrc }
func (c *fakeContext) SSRCRetransmission() webrtc.SSRC         { return c.rtx }
func (c *fakeContext) SSRCForwardErrorCorrection() webrtc.SSRC { return 0 }
func (c *fakeContext) WriteStream() webrtc.TrackLocalWriter    { return c.writer }
func (c *fakeContext) ID() string                              { return "transceiver-1" }
func (c *fakeContext) RTCPReader() interceptor.RTCPReader      { return nil }

var _ webrtc.TrackLocalContext = (*fakeContext)(nil)

// Codecs as a publisher and a subscriber negotiate them (different PTs).
var (
	upVP8 = webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
		PayloadType:        96,
	}
	upOpus = webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1",
		},
		PayloadType: 111,
	}
	downVideoCodecs = []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 120},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: "apt=120"}, PayloadType: 121},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000}, PayloadType: 102},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: "apt=102"}, PayloadType: 103},
	}
	downAudioCodecs = []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 109},
	}
)

const (
	upSSRC      = 0x11111111
	downSSRC    = 0x22222222
	downRTXSSRC = 0x33333333
)

// Real payload starts of a Chrome VP8 stream with picture ID, TL0PICIDX and
// TID: the first packet of a keyframe (frame tag P=0, start code 9d 01 2a,
// 640x360) and of a delta frame.
var (
	vp8KeyPayload   = []byte{0x90, 0xe0, 0x80, 0x2a, 0x05, 0x20, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01, 0xaa, 0xbb}
	vp8DeltaPayload = []byte{0x90, 0xe0, 0x80, 0x2b, 0x05, 0x80, 0x31, 0x0c, 0x00, 0xcc, 0xdd, 0xee}
	vp8MidPayload   = []byte{0x80, 0xe0, 0x80, 0x2a, 0x05, 0x20, 0x44, 0x55, 0x66}
	opusPayload     = []byte{0xfc, 0xff, 0xfe, 0x01, 0x02, 0x03}
)

// pkt describes a test packet.
type pkt struct {
	seq        uint16
	ts         uint32
	marker     bool
	pt         uint8
	ssrc       uint32
	payload    []byte
	audioLevel int // -1: none
	otherExt   bool
	padding    byte
}

// build marshals p with the publisher's extension IDs: audio level 1,
// transport-cc 3 (when otherExt).
func (p pkt) build(t testing.TB) []byte {
	t.Helper()
	if p.pt == 0 {
		p.pt = 96
	}
	if p.ssrc == 0 {
		p.ssrc = upSSRC
	}
	h := rtp.Header{
		Version: 2, Marker: p.marker, PayloadType: p.pt, SequenceNumber: p.seq,
		Timestamp: p.ts, SSRC: p.ssrc,
	}
	if p.otherExt {
		if err := h.SetExtension(3, []byte{0x01, 0x02}); err != nil {
			t.Fatal(err)
		}
	}
	if p.audioLevel >= 0 {
		if err := h.SetExtension(1, []byte{byte(p.audioLevel)}); err != nil {
			t.Fatal(err)
		}
	}
	rp := rtp.Packet{Header: h, Payload: p.payload}
	if p.padding > 0 {
		rp.Header.Padding = true
		rp.Header.PaddingSize = p.padding
	}
	raw, err := rp.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func vp8(seq uint16, ts uint32, key bool) pkt {
	payload := vp8DeltaPayload
	if key {
		payload = vp8KeyPayload
	}
	return pkt{seq: seq, ts: ts, payload: payload, audioLevel: -1}
}

type fixture struct {
	clock *fakeClock
	r     *Receiver
	plis  *[]uint32
	mu    *sync.Mutex
}

func newFixture(t testing.TB, codec webrtc.RTPCodecParameters, kind webrtc.RTPCodecType) *fixture {
	t.Helper()
	f := &fixture{clock: newFakeClock(), plis: new([]uint32), mu: new(sync.Mutex)}
	f.r = NewReceiver(ReceiverOptions{
		Kind:                  kind,
		SSRC:                  upSSRC,
		Codec:                 codec,
		AudioLevelExtensionID: 1,
		CacheSize:             64,
		RequestKeyframe: func(ssrc uint32) {
			f.mu.Lock()
			defer f.mu.Unlock()
			*f.plis = append(*f.plis, ssrc)
		},
		Now: f.clock.Now,
	})
	return f
}

func (f *fixture) pliCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(*f.plis)
}

// bound returns a DownTrack added to f.r and bound to ctx.
func (f *fixture) bound(t testing.TB, ctx *fakeContext) *DownTrack {
	t.Helper()
	return f.boundWith(t, ctx, DownTrackOptions{})
}

// boundWith is bound with more options; ID, StreamID and Receiver are set.
func (f *fixture) boundWith(t testing.TB, ctx *fakeContext, o DownTrackOptions) *DownTrack {
	t.Helper()
	o.ID, o.StreamID, o.Receiver = "track", "stream", f.r
	d, err := NewDownTrack(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Bind(ctx); err != nil {
		t.Fatal(err)
	}
	f.r.AddDownTrack(d)
	return d
}

func videoContext(w webrtc.TrackLocalWriter, rtx bool) *fakeContext {
	c := &fakeContext{codecs: downVideoCodecs, ssrc: downSSRC, writer: w}
	if rtx {
		c.rtx = downRTXSSRC
	}
	return c
}

// rtcpSource feeds RunRTCP from a channel; closing it ends the loop with io.EOF.
type rtcpSource chan []rtcp.Packet

func (s rtcpSource) ReadRTCP() ([]rtcp.Packet, interceptor.Attributes, error) {
	pkts, ok := <-s
	if !ok {
		return nil, nil, io.EOF
	}
	return pkts, nil, nil
}

// runRTCP starts d.RunRTCP on a goroutine and returns a function that
// delivers a batch synchronously: it returns once the batch was handled
// (the next read started), so tests need no sleeps.
type rtcpDriver struct {
	in   chan []rtcp.Packet
	done chan error
}

func startRTCP(d *DownTrack) *rtcpDriver {
	r := &rtcpDriver{in: make(chan []rtcp.Packet), done: make(chan error, 1)}
	go func() { r.done <- d.RunRTCP(rtcpSource(r.in)) }()
	return r
}

// send delivers pkts and waits until RunRTCP has handled them: the unbuffered
// channel hands over the batch, and the empty batch after it can only be
// received once the first was processed.
func (r *rtcpDriver) send(pkts ...rtcp.Packet) {
	r.in <- pkts
	r.in <- nil
}

func (r *rtcpDriver) stop(t testing.TB) {
	t.Helper()
	close(r.in)
	if err := <-r.done; !errors.Is(err, io.EOF) {
		t.Fatalf("RunRTCP returned %v, want io.EOF", err)
	}
}

type interceptorAttributes = interceptor.Attributes

var errClosedForTest = io.ErrClosedPipe

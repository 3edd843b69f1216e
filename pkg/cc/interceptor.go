package cc

import (
	"encoding/binary"
	"strings"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

var _ interceptor.Factory = (*Controller)(nil)

// NewInterceptor implements interceptor.Factory: the controller serves one
// PeerConnection, so install it in that connection's API only (innermost,
// so that the transport-wide sequence number is stamped when it sees a
// packet).
func (c *Controller) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &ccInterceptor{c: c}, nil
}

type ccInterceptor struct {
	interceptor.NoOp
	c *Controller
}

// BindLocalStream paces the stream's packets (audio and padding never
// wait) and records every packet that carries the transport-wide sequence
// number extension when it leaves.
func (i *ccInterceptor) BindLocalStream(info *interceptor.StreamInfo, next interceptor.RTPWriter) interceptor.RTPWriter {
	id := uint8(0)
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == sdp.TransportCCURI && e.ID > 0 && e.ID < 256 {
			id = uint8(e.ID)
		}
	}
	c := i.c
	audio := strings.HasPrefix(strings.ToLower(info.MimeType), "audio/")
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		var seq uint16
		ok := false
		if id != 0 {
			if ext := h.GetExtension(id); len(ext) >= 2 {
				seq, ok = binary.BigEndian.Uint16(ext), true
			}
		}
		if c.pacer == nil {
			if ok {
				c.record(seq, h.MarshalSize()+len(payload)+int(h.PaddingSize))
			}
			return next.Write(h, payload, a)
		}
		return c.pacer.write(next, h, payload, a, seq, ok, audio)
	})
}

// BindRTCPReader feeds the connection's transport-cc and REMB messages to
// the controller; the packets go on unchanged.
func (i *ccInterceptor) BindRTCPReader(next interceptor.RTCPReader) interceptor.RTCPReader {
	c := i.c
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := next.Read(b, a)
		if err != nil {
			return n, attr, err
		}
		if attr == nil {
			attr = make(interceptor.Attributes)
		}
		if pkts, perr := attr.GetRTCPPackets(b[:n]); perr == nil {
			c.onRTCP(pkts)
		}
		return n, attr, err
	})
}

// Close stops the controller's prober with the PeerConnection.
func (i *ccInterceptor) Close() error {
	i.c.Close()
	return nil
}

package cc

import (
	"encoding/binary"

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

// BindLocalStream records every packet of a stream that carries the
// transport-wide sequence number extension.
func (i *ccInterceptor) BindLocalStream(info *interceptor.StreamInfo, next interceptor.RTPWriter) interceptor.RTPWriter {
	id := uint8(0)
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == sdp.TransportCCURI && e.ID > 0 && e.ID < 256 {
			id = uint8(e.ID)
		}
	}
	if id == 0 {
		return next
	}
	c := i.c
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if ext := h.GetExtension(id); len(ext) >= 2 {
			c.record(binary.BigEndian.Uint16(ext), h.MarshalSize()+len(payload)+int(h.PaddingSize))
		}
		return next.Write(h, payload, a)
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

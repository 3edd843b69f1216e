package client

import (
	"strings"
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// DropFunc decides whether the client drops an incoming media packet, to
// emulate loss on the path from the node. It sees each (ssrc, seq) once per
// arrival; retransmissions of a dropped packet are offered to it again.
type DropFunc func(ssrc uint32, seq uint16) bool

// dropInterceptor drops incoming RTP before the NACK generator sees it, so
// the client NACKs what was "lost" exactly as it would on a lossy link.
type dropInterceptor struct {
	interceptor.NoOp
	drop DropFunc
}

type dropFactory struct{ drop DropFunc }

func (f dropFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &dropInterceptor{drop: f.drop}, nil
}

func (d *dropInterceptor) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	if strings.EqualFold(info.MimeType, "video/rtx") {
		return reader // repairs always get through
	}
	var mu sync.Mutex
	var hdr rtp.Header
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		for {
			n, attr, err := reader.Read(b, a)
			if err != nil {
				return n, attr, err
			}
			mu.Lock()
			_, perr := hdr.Unmarshal(b[:n])
			drop := perr == nil && d.drop(hdr.SSRC, hdr.SequenceNumber)
			mu.Unlock()
			if !drop {
				return n, attr, nil
			}
		}
	})
}

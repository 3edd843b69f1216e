package cc

import (
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"

	"github.com/switchyard-sfu/switchyard/pkg/bwe"
)

// BenchmarkWritePaced is the per-packet cost the controller adds to every
// packet a connection sends: the pacer's bucket (packets go straight
// through while the bucket has room) and the sent-log record.
func BenchmarkWritePaced(b *testing.B) {
	benchmarkWrite(b, Options{Estimator: bwe.EstimatorOptions{StartBitrate: bwe.DefaultMaxBitrate}})
}

// BenchmarkWriteUnpaced is the same without the pacer: the record alone.
func BenchmarkWriteUnpaced(b *testing.B) {
	benchmarkWrite(b, Options{PacingFactor: -1})
}

func benchmarkWrite(b *testing.B, o Options) {
	c := New(o)
	defer c.Close()
	it, _ := c.NewInterceptor("")
	info := &interceptor.StreamInfo{SSRC: 1, MimeType: "video/VP8", RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: twccID}}}
	w := it.BindLocalStream(info, interceptor.RTPWriterFunc(func(h *rtp.Header, p []byte, _ interceptor.Attributes) (int, error) {
		return len(p), nil
	}))
	h := &rtp.Header{Version: 2, SSRC: 1, PayloadType: 96, Extensions: make([]rtp.Extension, 0, 4)}
	var ext [2]byte
	payload := make([]byte, 1000)
	b.ReportAllocs()
	seq := uint16(0)
	for b.Loop() {
		seq++
		ext[0], ext[1] = byte(seq>>8), byte(seq)
		_ = h.SetExtension(twccID, ext[:]) // as pion's stamper does, in place
		if _, err := w.Write(h, payload, nil); err != nil {
			b.Fatal(err)
		}
	}
}

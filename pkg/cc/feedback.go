package cc

import (
	"errors"
	"fmt"
	"time"

	"github.com/pion/rtcp"

	"github.com/switchyard-sfu/switchyard/pkg/bwe"
)

// ErrBadFeedback reports a transport-cc message whose status chunks and
// receive deltas do not agree. The message is ignored.
var ErrBadFeedback = errors.New("cc: malformed transport-cc feedback")

// maxFeedbackPackets bounds the statuses taken from one message (the
// 16-bit packet status count allows 65535).
const maxFeedbackPackets = sentLogSize

// arrivalEpoch is an arbitrary origin for receiver-clock times: the
// estimator only uses their differences.
var arrivalEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// parseTWCC appends the results of a transport-cc message to dst, in
// sequence order. Arrival times are on the receiver's clock (reference
// time plus deltas). It does not allocate beyond growing dst.
func parseTWCC(dst []bwe.PacketResult, fb *rtcp.TransportLayerCC) ([]bwe.PacketResult, error) {
	n := min(int(fb.PacketStatusCount), maxFeedbackPackets)
	arr := int64(fb.ReferenceTime) * int64(64*time.Millisecond)
	seq := fb.BaseSequenceNumber
	deltas := fb.RecvDeltas
	emit := func(status uint16) error {
		r := bwe.PacketResult{TransportSeq: seq}
		seq++
		switch status {
		case rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedLargeDelta:
			if len(deltas) == 0 {
				return fmt.Errorf("%w: fewer receive deltas than received packets", ErrBadFeedback)
			}
			if deltas[0] != nil {
				arr += deltas[0].Delta * int64(time.Microsecond)
			}
			deltas = deltas[1:]
			r.Received, r.ArrivedAt = true, arrivalEpoch.Add(time.Duration(arr))
		case rtcp.TypeTCCPacketReceivedWithoutDelta:
			r.Received, r.ArrivedAt = true, arrivalEpoch.Add(time.Duration(arr))
		}
		dst = append(dst, r)
		return nil
	}
	done := 0
	for _, c := range fb.PacketChunks {
		switch c := c.(type) {
		case *rtcp.RunLengthChunk:
			for i := 0; i < int(c.RunLength) && done < n; i++ {
				if err := emit(c.PacketStatusSymbol); err != nil {
					return dst, err
				}
				done++
			}
		case *rtcp.StatusVectorChunk:
			for _, s := range c.SymbolList {
				if done >= n {
					break
				}
				if err := emit(s); err != nil {
					return dst, err
				}
				done++
			}
		}
	}
	return dst, nil
}

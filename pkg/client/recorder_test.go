package client

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// Each simulcast layer of a source numbers its markers on its own, so a
// layer switch is neither loss nor reordering; gaps and late packets
// within a layer still are.
func TestRecorderLayerSwitchIsNoLoss(t *testing.T) {
	tr := &trackRecorder{picID: -1}
	now := time.Unix(1000, 0)
	rtpSeq := uint16(0)
	feed := func(layer uint8, seq uint32) {
		rtpSeq++
		tr.record(&rtp.Packet{Header: rtp.Header{SequenceNumber: rtpSeq}}, Marker{SourceID: 7, Seq: seq, Layer: layer, SentAt: now}, true, false, now)
	}
	for seq := uint32(1); seq <= 3; seq++ {
		feed(0, seq)
	}
	feed(2, 500) // switched up: layer 2 is far ahead
	feed(2, 501)
	feed(0, 4) // a late retransmission of the old layer
	feed(2, 502)
	st := tr.st
	if st.Missing != 0 || st.OutOfOrder != 0 || st.LayerChanges != 3 || st.SourceChanges != 0 {
		t.Fatalf("after switches: missing %d, out of order %d, layer changes %d, source changes %d", st.Missing, st.OutOfOrder, st.LayerChanges, st.SourceChanges)
	}
	feed(2, 504) // 503 lost
	if tr.st.Missing != 1 {
		t.Fatalf("a gap within a layer: missing %d, want 1", tr.st.Missing)
	}
	feed(2, 503) // repaired
	if tr.st.Missing != 0 || tr.st.OutOfOrder != 1 {
		t.Fatalf("repair: missing %d, out of order %d, want 0 and 1", tr.st.Missing, tr.st.OutOfOrder)
	}
}

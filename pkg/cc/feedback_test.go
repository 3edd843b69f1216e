package cc

import (
	"errors"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

func TestParseTWCC(t *testing.T) {
	fb := &rtcp.TransportLayerCC{
		BaseSequenceNumber: 65534,
		PacketStatusCount:  5,
		ReferenceTime:      10,
		PacketChunks: []rtcp.PacketStatusChunk{
			&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 2},
			&rtcp.StatusVectorChunk{SymbolSize: rtcp.TypeTCCSymbolSizeTwoBit, SymbolList: []uint16{
				rtcp.TypeTCCPacketNotReceived, rtcp.TypeTCCPacketReceivedLargeDelta, rtcp.TypeTCCPacketReceivedSmallDelta,
				rtcp.TypeTCCPacketReceivedSmallDelta, // beyond the count
			}},
		},
		RecvDeltas: []*rtcp.RecvDelta{
			{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 1000},
			{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 250},
			{Type: rtcp.TypeTCCPacketReceivedLargeDelta, Delta: -500},
			{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 2000},
		},
	}
	got, err := parseTWCC(nil, fb)
	if err != nil {
		t.Fatal(err)
	}
	ref := arrivalEpoch.Add(640 * time.Millisecond)
	want := []struct {
		seq uint16
		rx  bool
		at  time.Duration
	}{{65534, true, 1000 * time.Microsecond}, {65535, true, 1250 * time.Microsecond}, {0, false, 0},
		{1, true, 750 * time.Microsecond}, {2, true, 2750 * time.Microsecond}}
	if len(got) != len(want) {
		t.Fatalf("got %d results", len(got))
	}
	for i, w := range want {
		g := got[i]
		if g.TransportSeq != w.seq || g.Received != w.rx || (w.rx && !g.ArrivedAt.Equal(ref.Add(w.at))) {
			t.Errorf("result %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestParseTWCCTooFewDeltas(t *testing.T) {
	fb := &rtcp.TransportLayerCC{
		PacketStatusCount: 3,
		PacketChunks:      []rtcp.PacketStatusChunk{&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 3}},
		RecvDeltas:        []*rtcp.RecvDelta{{Delta: 1}},
	}
	if _, err := parseTWCC(nil, fb); !errors.Is(err, ErrBadFeedback) {
		t.Fatalf("err = %v, want ErrBadFeedback", err)
	}
}

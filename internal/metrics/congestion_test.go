package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/switchyard-sfu/switchyard/pkg/room"
)

func TestCongestionMetrics(t *testing.T) {
	c := newCongestion()
	ch := make(chan prometheus.Metric, 16)
	c.collect(ch, room.CongestionTotals{
		Connections: 3, Estimates: []int{250_000, 900_000, 5_000_000},
		Sent: 4_000_000, Allocated: 3_500_000, PausedSlots: 2, Probes: 7, ProbesConfirmed: 5, ProbesFailed: 1,
		RetransmitsDenied: 11,
	})
	close(ch)
	got := map[string]*dto.Metric{}
	for m := range ch {
		var d dto.Metric
		if err := m.Write(&d); err != nil {
			t.Fatal(err)
		}
		got[m.Desc().String()] = &d
	}
	if len(got) != 9 {
		t.Fatalf("%d metrics, want 9", len(got))
	}
	h := got[c.estimates.String()].GetHistogram()
	if h.GetSampleCount() != 3 || h.GetSampleSum() != 6_150_000 {
		t.Fatalf("estimate histogram count %d sum %v", h.GetSampleCount(), h.GetSampleSum())
	}
	for _, b := range h.GetBucket() {
		want := map[float64]uint64{100e3: 0, 300e3: 1, 600e3: 1, 1e6: 2, 2e6: 2, 4e6: 2, 8e6: 3, 16e6: 3}[b.GetUpperBound()]
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket %v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
	if v := got[c.paused.String()].GetGauge().GetValue(); v != 2 {
		t.Errorf("paused slots %v", v)
	}
	if v := got[c.confirmed.String()].GetCounter().GetValue(); v != 5 {
		t.Errorf("confirmed probes %v", v)
	}
	if v := got[c.rtxDenied.String()].GetCounter().GetValue(); v != 11 {
		t.Errorf("denied retransmissions %v", v)
	}
}

package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchyard-sfu/switchyard/pkg/room"
)

// estimateBuckets are the upper bounds (bit/s) of the per-connection
// estimate histogram: from audio-only links to well above 1080p.
var estimateBuckets = []float64{100e3, 300e3, 600e3, 1e6, 2e6, 4e6, 8e6, 16e6}

// congestion describes the congestion control metrics.
type congestion struct {
	conns, estimates, sent, allocated, paused *prometheus.Desc
	probes, confirmed, failed, rtxDenied      *prometheus.Desc
}

func newCongestion() congestion {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("switchyard_cc_"+name, help, nil, nil)
	}
	return congestion{
		conns:     d("connections", "Connections with a congestion controller."),
		estimates: d("estimate_bits_per_second", "Bandwidth estimates of the connections, bit/s."),
		sent:      d("sent_bits_per_second", "What the node sends to the connections with a congestion controller, bit/s."),
		allocated: d("allocated_bits_per_second", "What the allocator gave those connections' slots, bit/s."),
		paused:    d("bandwidth_disabled_slots", "Video slots paused because their lowest layer does not fit the estimate."),
		probes:    d("probes_total", "Probe clusters sent."),
		confirmed: d("probes_confirmed_total", "Probe clusters whose delivered rate the estimator took."),
		failed:    d("probes_failed_total", "Probe clusters that measured nothing or showed overuse."),
		rtxDenied: d("retransmits_denied_total", "Retransmissions not sent because they would exceed the connection's retransmission budget."),
	}
}

func (c congestion) describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.estimates, c.sent, c.allocated, c.paused, c.probes, c.confirmed, c.failed, c.rtxDenied} {
		ch <- d
	}
}

func (c congestion) collect(ch chan<- prometheus.Metric, t room.CongestionTotals) {
	g := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	n := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	g(c.conns, float64(t.Connections))
	g(c.sent, float64(t.Sent))
	g(c.allocated, float64(t.Allocated))
	g(c.paused, float64(t.PausedSlots))
	n(c.probes, t.Probes)
	n(c.confirmed, t.ProbesConfirmed)
	n(c.failed, t.ProbesFailed)
	n(c.rtxDenied, t.RetransmitsDenied)
	counts := make(map[float64]uint64, len(estimateBuckets))
	sum := 0.0
	for _, e := range t.Estimates {
		sum += float64(e)
		for _, b := range estimateBuckets {
			if float64(e) <= b {
				counts[b]++
			}
		}
	}
	ch <- prometheus.MustNewConstHistogram(c.estimates, uint64(len(t.Estimates)), sum, counts)
}

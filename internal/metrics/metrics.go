// Package metrics exposes the node's counters to Prometheus. Values are read
// from room.Manager at scrape time, so nothing on the packet path touches
// Prometheus.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchyard-sfu/switchyard/pkg/room"
)

// Collector is a prometheus.Collector over a room.Manager.
type Collector struct {
	m *room.Manager

	rooms, conns, published, forwarded, draining *prometheus.Desc
	packetsIn, bytesIn, packetsOut, bytesOut     *prometheus.Desc
	malformed, retransmits, undeclared, unknown  *prometheus.Desc
	cc                                           congestion
}

// NewCollector returns a collector for m.
func NewCollector(m *room.Manager) *Collector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("switchyard_"+name, help, nil, nil)
	}
	return &Collector{
		m:           m,
		rooms:       d("rooms", "Open rooms."),
		conns:       d("connections", "Open connections (devices)."),
		published:   d("published_tracks", "Upstream tracks being received."),
		forwarded:   d("forwarded_tracks", "Downstream tracks being forwarded."),
		draining:    d("draining", "1 while the node refuses new rooms."),
		packetsIn:   d("rtp_packets_received_total", "RTP packets received from publishers."),
		bytesIn:     d("rtp_bytes_received_total", "RTP bytes received from publishers."),
		packetsOut:  d("rtp_packets_sent_total", "RTP packets forwarded to subscribers."),
		bytesOut:    d("rtp_bytes_sent_total", "RTP bytes forwarded to subscribers."),
		malformed:   d("rtp_malformed_total", "Received packets dropped as malformed."),
		retransmits: d("rtp_retransmits_total", "Packets retransmitted in answer to NACKs."),
		undeclared:  d("simulcast_undeclared_layers_total", "Simulcast layers sent without being declared in SDP (ignored)."),
		unknown:     d("media_unknown_packets_total", "Datagrams on the media port from 5-tuples no joined connection admitted (dropped)."),
		cc:          newCongestion(),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.rooms, c.conns, c.published, c.forwarded, c.draining,
		c.packetsIn, c.bytesIn, c.packetsOut, c.bytesOut, c.malformed, c.retransmits, c.undeclared, c.unknown} {
		ch <- d
	}
	c.cc.describe(ch)
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.m.Stats()
	g := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	n := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	g(c.rooms, float64(s.Rooms))
	g(c.conns, float64(s.Connections))
	g(c.published, float64(s.PublishedTracks))
	g(c.forwarded, float64(s.ForwardedTracks))
	drain := 0.0
	if c.m.Draining() {
		drain = 1
	}
	g(c.draining, drain)
	n(c.packetsIn, s.Totals.PacketsIn)
	n(c.bytesIn, s.Totals.BytesIn)
	n(c.packetsOut, s.Totals.PacketsOut)
	n(c.bytesOut, s.Totals.BytesOut)
	n(c.malformed, s.Totals.MalformedIn)
	n(c.retransmits, s.Totals.Retransmits)
	n(c.undeclared, s.Totals.UndeclaredLayers)
	n(c.unknown, s.Totals.UnknownPackets)
	c.cc.collect(ch, c.m.CongestionStats())
}

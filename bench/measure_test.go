package main

import (
	"testing"
	"time"

	"github.com/switchyard-sfu/switchyard/pkg/client"
)

func TestFrozenBetween(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name            string
		last, prev, now int
		want            time.Duration
	}{
		{"fresh frame", 0, 0, 200, 0},
		{"gap still under the threshold", 0, 200, 400, 0},
		{"threshold crossed inside the poll", 0, 400, 600, 100 * time.Millisecond},
		{"frozen for the whole poll", 0, 600, 800, 200 * time.Millisecond},
	}
	for _, tc := range tests {
		if got := frozenBetween(at(tc.last), at(tc.prev), at(tc.now)); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestDiffTracks(t *testing.T) {
	var h0, h1 client.LatencyHistogram
	h0.Record(time.Millisecond)
	h1 = h0
	h1.Record(2 * time.Millisecond)
	h1.Record(2 * time.Millisecond)
	before := map[trackKey]trackSnap{
		{0, "a"}: {packets: 10, missing: 2, latency: h0},
		{1, "a"}: {packets: 5, missing: 3},
	}
	after := map[trackKey]trackSnap{
		{0, "a"}: {packets: 30, missing: 4, latency: h1, video: true},
		{1, "a"}: {packets: 9, missing: 1}, // a late packet filled two gaps
		{1, "b"}: {packets: 7, missing: 1}, // new in the window
	}
	d := diffTracks(before, after)
	if d.packets != 20+4+7 || d.missing != 2+0+1 || d.latency.Count() != 2 {
		t.Errorf("got packets %d missing %d latency samples %d", d.packets, d.missing, d.latency.Count())
	}
	if d.video.Count() != 2 || d.audio.Count() != 0 {
		t.Errorf("video %d audio %d samples", d.video.Count(), d.audio.Count())
	}
}

func TestStepOf(t *testing.T) {
	w := sampleWindow()
	s := stepOf(w, 10, 100*mib)
	if s.NodeCores != 0.5 || s.GenCores != 0.25 || s.OtherCores != 0.1 {
		t.Errorf("cores: node %v generator %v other %v", s.NodeCores, s.GenCores, s.OtherCores)
	}
	// 5 s of node CPU over 10 s × 10000 packets/s out.
	if s.USPerPkt != 50 {
		t.Errorf("µs/packet %v", s.USPerPkt)
	}
	if s.PerRxPPS != 990 {
		t.Errorf("per receiver %v packets/s", s.PerRxPPS)
	}
	if s.RSSPerRxKiB != 1024 || s.LossPct != 1 || s.FrozenPct != 5 {
		t.Errorf("RSS/rx %v loss %v frozen %v", s.RSSPerRxKiB, s.LossPct, s.FrozenPct)
	}
	o := options{cpuLimit: 1.8, boxLimit: 0.95, lossLimit: 2, minDelivered: 0.95, latencyLimit: 250 * time.Millisecond, box: boxInfo{cpus: 2}}
	if l := o.limit(s); l != "" {
		t.Errorf("limit %q", l)
	}
	s.LossPct = 3
	if o.limit(s) == "" {
		t.Error("loss over the limit not reported")
	}
	s.LossPct, s.NodeCores, s.GenCores = 0, 1, 0.95
	if o.limit(s) == "" {
		t.Error("saturated box not reported")
	}
	s.NodeCores, s.GenCores, s.Latency.P99 = 0.5, 0.25, 300
	if o.limit(s) == "" {
		t.Error("queueing latency not reported")
	}
	s.Latency.P99, s.Delivered = 1, 0.8
	if o.limit(s) == "" {
		t.Error("falling behind not reported")
	}
	o.minDelivered = 0
	if l := o.limit(s); l != "" {
		t.Errorf("-min-delivered 0 still stops: %q", l)
	}
}

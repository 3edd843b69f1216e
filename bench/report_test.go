package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// sampleWindow is a 10 s window: node 5 s CPU, generator 2.5 s, others
// 1 s, 10000
// packets/s out, 110 MiB of RSS (10 MiB over a 100 MiB base), 1 % loss
// and 5 % frozen video.
func sampleWindow() windowResult {
	w := windowResult{
		dur:     10 * time.Second,
		nodeCPU: 5 * time.Second,
		genCPU:  2500 * time.Millisecond,
		boxCPU:  8500 * time.Millisecond,
		node: &pb.NodeInfo{Connections: 11, ForwardedTracks: 20, PacketsInPerSecond: 330,
			PacketsOutPerSecond: 10000, BytesOutPerSecond: 1.25e6, Goroutines: 300},
		rss:         110 * mib,
		videoTracks: 10,
		frozen:      5 * time.Second,
	}
	w.rx.packets, w.rx.missing = 99000, 1000
	for range 100 {
		w.rx.latency.Record(time.Millisecond)
	}
	return w
}

func sampleReport() *Report {
	s := stepOf(sampleWindow(), 10, 100*mib)
	s.JoinMedia = Dist{N: 10, P50: 30, P99: 45, Max: 45}
	s2 := s
	s2.Receivers, s2.USPerPkt, s2.Limit = 20, 20, "node CPU 1.90 cores ≥ 1.80"
	return &Report{
		Name: "sample", Date: "2026-01-01T00:00:00Z", Command: "go run ./bench -scenario webinar,join-storm",
		Machine: Machine{CPUs: 2, CPUModel: "AMD EPYC", Kernel: "6.1", Go: "go1.26", MemTotal: "4.0 GiB"},
		Runs: []Run{
			{Scenario: "webinar", Description: "one & <two>", Publishers: 1, WarmupS: 3, WindowS: 10,
				Steps: []Step{s, s2}, Stop: "at 20 receivers: node CPU"},
			{Scenario: "join-storm", Description: "storm", Storm: &Storm{Rate: 10, Total: 50,
				JoinMedia: Dist{N: 50, P50: 28, P99: 60, Max: 61}}},
		},
	}
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().writeMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"# Switchyard bench: sample",
		"`go run ./bench -scenario webinar,join-storm`",
		"2 CPUs (AMD EPYC)",
		"## webinar",
		"| receivers | node cores |",
		"| 10 | 0.50 | 0.25 | 0.10 | 330 | 10000 | 10.0 | 50.00 |",
		"| 20 |",
		"ramp stopped: at 20 receivers",
		"![webinar scaling](webinar.svg)",
		"## join-storm",
		"| first media | 50 | 28 | 60 | 61 |",
		"## Definitions",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	// Every table row has as many cells as its header.
	for _, block := range strings.Split(md, "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if !strings.HasPrefix(lines[0], "|") {
			continue
		}
		cells := strings.Count(lines[0], "|")
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, "|") && strings.Count(l, "|") != cells {
				t.Errorf("row %q has %d separators, header %d", l, strings.Count(l, "|"), cells)
			}
		}
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	r := sampleReport()
	if err := r.write(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"results.md", "results.json", "webinar.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "join-storm.svg")); err == nil {
		t.Error("a join storm has no scaling curve to plot")
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Runs[0].Steps[0].USPerPkt != 50 || back.Runs[1].Storm.JoinMedia.P99 != 60 || back.Machine.CPUs != 2 {
		t.Errorf("round trip: %+v", back)
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Report is one invocation of the bench: machine, command and one Run per
// scenario. It is written as results.json and results.md.
type Report struct {
	Name    string  `json:"name"`
	Date    string  `json:"date"`
	Command string  `json:"command"`
	Machine Machine `json:"machine"`
	Runs    []Run   `json:"runs"`
}

// Run is one scenario: a ramp of steps, or a join storm.
type Run struct {
	Scenario    string  `json:"scenario"`
	Description string  `json:"description"`
	Publishers  int     `json:"publishers"`
	WarmupS     float64 `json:"warmup_s,omitempty"`
	WindowS     float64 `json:"window_s,omitempty"`
	// IdleRSSMiB is the node's RSS before anyone joined; BaseRSSMiB after
	// the publishers joined, the baseline of RSS per receiver.
	IdleRSSMiB float64 `json:"idle_rss_mib"`
	BaseRSSMiB float64 `json:"base_rss_mib"`
	Steps      []Step  `json:"steps,omitempty"`
	Storm      *Storm  `json:"storm,omitempty"`
	// Stop says why the ramp ended before its last step, if it did.
	Stop  string `json:"stop,omitempty"`
	Error string `json:"error,omitempty"`
}

// Step is one ramp step's steady window.
type Step struct {
	Receivers   int     `json:"receivers"`
	Connections int     `json:"connections"`
	Forwarded   int     `json:"forwarded_tracks"`
	NotReady    int     `json:"not_ready"`
	WindowS     float64 `json:"window_s"`
	// NodeCores and GenCores: CPU used by the node and by the load
	// generator (cores, 1 = one core busy).
	NodeCores float64 `json:"node_cores"`
	GenCores  float64 `json:"generator_cores"`
	// OtherCores: the rest of the machine (kernel threads, other
	// processes) in the window; more than a few hundredths means the box
	// was shared and the figures are less clean.
	OtherCores float64 `json:"other_cores"`
	// Remeasured counts windows discarded because OtherCores was high.
	Remeasured int `json:"remeasured,omitempty"`
	// From the node's counters.
	PktsInPS  float64 `json:"pkts_in_per_s"`
	PktsOutPS float64 `json:"pkts_out_per_s"`
	MbitInPS  float64 `json:"mbit_in_per_s"`
	MbitOutPS float64 `json:"mbit_out_per_s"`
	// From the receivers.
	RxPktsPS float64 `json:"rx_pkts_per_s"`
	// USPerPkt: node CPU µs per forwarded packet; MSPerMbit: node CPU ms
	// per forwarded Mbit (= cores per Gbit/s).
	USPerPkt float64 `json:"vcpu_us_per_pkt"`
	// USPerPktInOut divides by packets received and forwarded, fairer
	// when fan-out is small (ingest dominates).
	USPerPktInOut float64 `json:"vcpu_us_per_pkt_in_out"`
	MSPerMbit     float64 `json:"vcpu_ms_per_mbit"`
	RSSMiB        float64 `json:"rss_mib"`
	RSSPerRxKiB   float64 `json:"rss_per_receiver_kib"`
	Goroutines    uint32  `json:"goroutines"`
	Latency       Dist    `json:"latency"`
	LatencyAudio  Dist    `json:"latency_audio"`
	LatencyVideo  Dist    `json:"latency_video"`
	// PerRxPPS is the packets per second each receiver got; Delivered
	// compares it with the ramp's first step (below 1 when the node falls
	// behind and queues instead of forwarding).
	PerRxPPS      float64 `json:"per_receiver_pkts_per_s"`
	Delivered     float64 `json:"delivered_vs_first_step"`
	LossPct       float64 `json:"loss_pct"`
	Missing       uint64  `json:"missing"`
	VideoTracks   int     `json:"video_tracks"`
	FrozenS       float64 `json:"frozen_s"`
	FrozenPct     float64 `json:"frozen_pct"`
	JoinsFailed   int     `json:"joins_failed"`
	JoinRPC       Dist    `json:"join_rpc"`
	JoinConnected Dist    `json:"join_connected"`
	JoinMedia     Dist    `json:"join_first_media"`
	// Limit is set on the step that reached a stop condition.
	Limit string `json:"limit,omitempty"`
}

// Storm is the join-storm result.
type Storm struct {
	Rate          float64 `json:"joins_per_s"`
	Total         int     `json:"total"`
	Failed        int     `json:"failed"`
	DurationS     float64 `json:"duration_s"`
	NodeCores     float64 `json:"node_cores"`
	GenCores      float64 `json:"generator_cores"`
	PeakRSSMiB    float64 `json:"rss_mib"`
	Goroutines    uint32  `json:"goroutines"`
	JoinRPC       Dist    `json:"join_rpc"`
	JoinConnected Dist    `json:"join_connected"`
	JoinMedia     Dist    `json:"join_first_media"`
	Leave         Dist    `json:"leave"`
}

func (r *Report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// svgName is the plot file of a run.
func svgName(r Run) string { return r.Scenario + ".svg" }

// writeMarkdown renders the report as a markdown page.
func (r *Report) writeMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Switchyard bench: %s\n\n", r.Name)
	fmt.Fprintf(&b, "- date: %s\n- command: `%s`\n", r.Date, r.Command)
	m := r.Machine
	fmt.Fprintf(&b, "- machine: %d CPUs (%s), %s RAM, Linux %s, %s", m.CPUs, m.CPUModel, m.MemTotal, m.Kernel, m.Go)
	if m.Commit != "" {
		fmt.Fprintf(&b, ", commit %s", m.Commit)
	}
	b.WriteString("\n- the node runs as its own process; the load generator (every publisher and receiver, real pion peers over loopback) shares the same CPUs, so its CPU is shown next to the node's\n\n")
	for _, run := range r.Runs {
		fmt.Fprintf(&b, "## %s\n\n%s.\n\n", run.Scenario, run.Description)
		if run.Storm != nil {
			writeStorm(&b, run)
		} else {
			writeRamp(&b, run)
		}
		if run.Error != "" {
			fmt.Fprintf(&b, "\nError: %s\n", run.Error)
		}
		b.WriteString("\n")
	}
	b.WriteString(definitions)
	_, err := io.WriteString(w, b.String())
	return err
}

const definitions = `## Definitions

- **vCPU-µs/pkt**: node CPU time (user+system from /proc/<pid>/stat) in the steady window divided by the packets the node forwarded in it (its own counters, retransmissions excluded). **vCPU-ms/Mbit**: the same per forwarded Mbit of RTP (headers included), i.e. cores per Gbit/s.
- **RSS/rx**: node RSS (VmRSS) minus its RSS with only the publishers joined, divided by the receivers.
- **latency**: receive time minus the send time carried in every payload (same host clock), over every packet received in the window: it includes the generator's own pion send and receive paths, so it is an upper bound of the node's added latency. Quantiles from a log histogram (±6 %).
- **delivered**: packets per second each receiver got, relative to the first step (the node falls behind, queueing, when it drops below 1).
- **loss**: marker sequence gaps not filled (Missing) over packets expected in the window; each simulcast layer numbers its markers, so a layer switch (the receiver's congestion control moving it) is not counted.
- **frozen**: time a received video track went more than 500 ms without a new frame (polled every 200 ms), summed; % of video-track time.
- **join**: Join call (after local ICE gathering) → answer applied (rpc) → ICE+DTLS connected → first media packet (after the media request), per receiver joined in the step.
- **gen cores**: the load generator's own CPU; when node + generator reach the box's CPUs, the generator, not the node, is the limit. **other cores**: the rest of the machine's busy time (/proc/stat) in the window: kernel threads, and anything else running on the box, which then competes with the node.
`

func writeRamp(b *strings.Builder, run Run) {
	fmt.Fprintf(b, "Warm-up %.0f s, steady window %.0f s per step; receivers are added to the same room step by step (publishers stay). Node RSS idle %.1f MiB, with publishers %.1f MiB.\n\n",
		run.WarmupS, run.WindowS, run.IdleRSSMiB, run.BaseRSSMiB)
	b.WriteString("| receivers | node cores | gen cores | other cores | pkts in/s | pkts out/s | Mbit/s out | vCPU-µs/pkt | vCPU-ms/Mbit | RSS MiB | RSS/rx KiB | goroutines | latency p50 / p99 / max ms | audio p99 ms | video p99 ms | delivered | loss % | frozen % | join rpc / connected / media p50 ms | join media p99 ms |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|---:|\n")
	for _, s := range run.Steps {
		fmt.Fprintf(b, "| %d | %.2f | %.2f | %.2f | %.0f | %.0f | %.1f | %.2f | %.2f | %.1f | %.0f | %d | %.2f / %.2f / %.1f | %s | %s | %.2f | %.3f | %.2f | %.0f / %.0f / %.0f | %.0f |\n",
			s.Receivers, s.NodeCores, s.GenCores, s.OtherCores, s.PktsInPS, s.PktsOutPS, s.MbitOutPS, s.USPerPkt, s.MSPerMbit,
			s.RSSMiB, s.RSSPerRxKiB, s.Goroutines, s.Latency.P50, s.Latency.P99, s.Latency.Max,
			p99(s.LatencyAudio), p99(s.LatencyVideo), s.Delivered, s.LossPct, s.FrozenPct, s.JoinRPC.P50, s.JoinConnected.P50, s.JoinMedia.P50, s.JoinMedia.P99)
	}
	var notes []string
	for _, s := range run.Steps {
		if s.NotReady > 0 || s.JoinsFailed > 0 {
			notes = append(notes, fmt.Sprintf("%d receivers: %d joins failed, %d receivers without all their media at the window start", s.Receivers, s.JoinsFailed, s.NotReady))
		}
	}
	if run.Stop != "" {
		notes = append(notes, "ramp stopped: "+run.Stop)
	}
	for _, n := range notes {
		fmt.Fprintf(b, "\n- %s", n)
	}
	if len(notes) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "\n![%s scaling](%s)\n", run.Scenario, svgName(run))
}

// p99 prints a distribution's p99, or a dash when it is empty (no video
// in an audio-only run).
func p99(d Dist) string {
	if d.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", d.P99)
}

func writeStorm(b *strings.Builder, run Run) {
	s := run.Storm
	fmt.Fprintf(b, "%d joins at %.0f/s (%d failed) over %.1f s; node %.2f cores, generator %.2f cores during the storm; node RSS %.1f MiB, %d goroutines with everyone in.\n\n",
		s.Total, s.Rate, s.Failed, s.DurationS, s.NodeCores, s.GenCores, s.PeakRSSMiB, s.Goroutines)
	b.WriteString("| phase (from the Join call) | n | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n")
	for _, r := range []struct {
		name string
		d    Dist
	}{{"answer applied (rpc)", s.JoinRPC}, {"ICE + DTLS connected", s.JoinConnected}, {"first media", s.JoinMedia}, {"leave (Leave call)", s.Leave}} {
		fmt.Fprintf(b, "| %s | %d | %.0f | %.0f | %.0f |\n", r.name, r.d.N, r.d.P50, r.d.P99, r.d.Max)
	}
}

// readReport loads a results.json written by an earlier run.
func readReport(dir string) (*Report, error) {
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return &r, nil
}

// write stores results.json, results.md and one SVG per ramp in dir.
func (r *Report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var js, md strings.Builder
	if err := r.writeJSON(&js); err != nil {
		return err
	}
	if err := r.writeMarkdown(&md); err != nil {
		return err
	}
	files := map[string]string{"results.json": js.String(), "results.md": md.String()}
	for _, run := range r.Runs {
		if len(run.Steps) > 0 {
			files[svgName(run)] = string(plotSVG(fmt.Sprintf("%s — %s", r.Name, run.Scenario), r.Machine.CPUs, run.Steps))
		}
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

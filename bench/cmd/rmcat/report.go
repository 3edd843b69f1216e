package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
)

const rtpVideo = webrtc.RTPCodecTypeVideo

func mbps(bps int) string { return fmt.Sprintf("%.2f", float64(bps)/1e6) }

func ms(d time.Duration) string {
	if d < 0 {
		return "not reached"
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// markdown renders the report.
func (r *result) markdown() string {
	f := r.Figures
	var b strings.Builder
	fmt.Fprintf(&b, "# RFC 8867 §5.1 through the node\n\n")
	fmt.Fprintf(&b, "Command: `%s`\n\n", r.Command)
	fmt.Fprintf(&b, "Three publishers send 3-layer simulcast (%d/%d/%d kbit/s) to the node; one receiver has a video slot for each. "+
		"Everything the node sends the receiver crosses a token bucket at the scheduled rate (queue %v at that rate) and a %v one-way delay "+
		"(pion/transport vnet, in one process). Capacity: %s. %s\n\n",
		layers[0].Bitrate/1000, layers[1].Bitrate/1000, layers[2].Bitrate/1000, r.Queue, r.Delay, scheduleText(r.Schedule), pacingText(r.Pacing))
	b.WriteString("| figure | value | target (issue 4) |\n| --- | --- | --- |\n")
	fmt.Fprintf(&b, "| mean utilization (delivered / capacity) | %.0f %% | ≥ 85 %% |\n", 100*f.Utilization)
	fmt.Fprintf(&b, "| utilization of the ideal layer fit (best whole-layer combination under the capacity / capacity): the ceiling | %.0f %% | |\n", 100*f.IdealUtilization)
	fmt.Fprintf(&b, "| delivered / ideal layer fit | %.0f %% | |\n", 100*f.OfIdeal)
	fmt.Fprintf(&b, "| mean overshoot (sent above capacity / capacity) | %.1f %% | |\n", 100*f.Overshoot)
	fmt.Fprintf(&b, "| queueing delay p50 / p95 (one-way delay − %v) | %d / %d ms | p95 < 100 ms |\n", r.Delay.D(), f.QueueP50.D().Milliseconds(), f.QueueP95.D().Milliseconds())
	for _, s := range f.Steps {
		if s.To > s.From {
			fmt.Fprintf(&b, "| %s → %s Mbit/s at %v: sent rate at 90 %% of the new capacity after | %s | ≤ 5 s |\n", mbps(s.From), mbps(s.To), s.At.D(), ms(s.After.D()))
		} else {
			fmt.Fprintf(&b, "| %s → %s Mbit/s at %v: sent rate under the new capacity after | %s | ≤ 1 s |\n", mbps(s.From), mbps(s.To), s.At.D(), ms(s.After.D()))
		}
	}
	fmt.Fprintf(&b, "| frozen time, summed over the 3 slots (no new frame for > %v) | %.1f s of %v × 3 | |\n", freezeAfter, f.FrozenTime.D().Seconds(), testDuration)
	fmt.Fprintf(&b, "| of which the slot was paused by the allocator (its lowest layer did not fit the estimate) | %.1f s | |\n\n", f.FrozenPausedTime.D().Seconds())
	b.WriteString("Utilization per phase, next to the ideal layer fit (any combination; every slot on at least its lowest layer):\n\n" +
		"| phase | capacity | utilization | ideal fit | ideal fit, every slot on |\n| --- | --- | --- | --- | --- |\n")
	rates := layerRates()
	for i, p := range r.Schedule {
		fit, fitAll := idealFit(p.Rate, rates, publishers, false), idealFit(p.Rate, rates, publishers, true)
		fmt.Fprintf(&b, "| from %v | %s Mbit/s | %.0f %% | %s Mbit/s (%.0f %%) | %s Mbit/s (%.0f %%) |\n", p.At, mbps(p.Rate), 100*r.Phases[i],
			mbps(fit), 100*float64(fit)/float64(p.Rate), mbps(fitAll), 100*float64(fitAll)/float64(p.Rate))
	}
	b.WriteString("\n![capacity, estimate, sent and delivered rate](plot.svg)\n\n")
	b.WriteString("Rates are measured over 500 ms windows every 100 ms: *sent* is what the node routed towards the receiver, " +
		"*delivered* what the receiver's sockets read; *estimate* is the node's estimate for the receiver (GetRoom). " +
		"Queueing delay comes from the receiver's send-to-receive latency of every video packet minus the configured one-way delay " +
		"(it includes the node's own processing). The sent rate is made of whole simulcast layers, so it cannot follow the capacity exactly: the *ideal layer fit* is the largest sum of " +
		"one nominal layer rate (or none) per slot under the capacity, what an ideal allocator could send; it leaves out RTP, SRTP and RTCP overhead, " +
		"so it is a generous ceiling (900 + 100 kbit/s \"fits\" 1 Mbit/s exactly).\n")
	return b.String()
}

func scheduleText(s []phase) string {
	var parts []string
	for _, p := range s {
		parts = append(parts, fmt.Sprintf("%s Mbit/s from %v", mbps(p.Rate), p.At))
	}
	return strings.Join(parts, ", ") + fmt.Sprintf(", for %v", testDuration)
}

func pacingText(f float64) string {
	if f <= 0 {
		return "No pacer (the node's default)."
	}
	return fmt.Sprintf("Video paced at %.1f × the estimate.", f)
}

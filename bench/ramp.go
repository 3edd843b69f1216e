package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard-sfu/switchyard/pkg/client"
)

const mib = 1 << 20

// runRamp runs one ramp scenario on a fresh node: publishers join, then
// receivers are added step by step to the same room; each step is measured
// over a steady window after a warm-up.
func runRamp(ctx context.Context, o options, bin string, sc scenario, zl *zap.Logger) Run {
	run := Run{Scenario: sc.name, Description: sc.description, Publishers: len(sc.publishers),
		WarmupS: o.warmup.Seconds(), WindowS: o.window.Seconds()}
	fail := func(err error) Run {
		run.Error = err.Error()
		log.Printf("%s: %v", sc.name, err)
		return run
	}
	n, idleRSS, err := startIdleNode(ctx, o, bin)
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err := n.stop(); err != nil {
			log.Printf("%s: %v", sc.name, err)
		}
	}()
	run.IdleRSSMiB = idleRSS

	load, err := newRoomLoad(ctx, n.api, "bench-"+sc.name, sc, zl)
	if err != nil {
		return fail(err)
	}
	defer load.leaveAll(context.WithoutCancel(ctx), o.parallel)
	if err := load.joinPublishers(ctx, o.joinTimeout); err != nil {
		return fail(err)
	}
	time.Sleep(o.warmup)
	base, err := n.sample()
	if err != nil {
		return fail(err)
	}
	run.BaseRSSMiB = round(float64(base.RSS)/mib, 1)
	log.Printf("%s: node idle RSS %.1f MiB, %.1f MiB with %d publishers", sc.name, run.IdleRSSMiB, run.BaseRSSMiB, len(load.pubs))

	for _, target := range o.steps {
		if target <= len(load.rxs) {
			continue
		}
		log.Printf("%s: joining receivers up to %d", sc.name, target)
		timings, failed := load.joinReceivers(ctx, target, o.parallel, o.joinTimeout)
		notReady := load.waitReady(ctx, o.joinTimeout)
		if ctx.Err() != nil {
			return fail(ctx.Err())
		}
		time.Sleep(o.warmup)
		// On a shared box, a window in which other work took CPU is
		// measured again (a few times at most; the last one stands).
		var st Step
		for attempt := 0; ; attempt++ {
			w, err := profiledWindow(ctx, o, sc.name, len(load.rxs), func() (windowResult, error) {
				return measureWindow(ctx, n, load.rxs, o.window)
			})
			if err != nil {
				return fail(err)
			}
			st = stepOf(w, len(load.rxs), base.RSS)
			st.Remeasured = attempt
			if st.OtherCores <= o.maxOther || attempt >= o.retries {
				break
			}
			log.Printf("%s: other processes used %.2f cores during the window; measuring again", sc.name, st.OtherCores)
		}
		st.NotReady, st.JoinsFailed = notReady, failed
		st.JoinRPC, st.JoinConnected, st.JoinMedia = joinDists(timings)
		if len(run.Steps) == 0 {
			st.Delivered = 1
		} else {
			st.Delivered = round(perUnit(st.PerRxPPS, run.Steps[0].PerRxPPS), 3)
		}
		st.Limit = o.limit(st)
		run.Steps = append(run.Steps, st)
		log.Printf("%s: %d receivers: node %.2f cores, gen %.2f cores, %.0f pkts/s out, %.2f vCPU-µs/pkt, latency p99 %.2f ms, loss %.3f %%, frozen %.2f %%, RSS/rx %.0f KiB",
			sc.name, st.Receivers, st.NodeCores, st.GenCores, st.PktsOutPS, st.USPerPkt, st.Latency.P99, st.LossPct, st.FrozenPct, st.RSSPerRxKiB)
		if st.Limit != "" {
			run.Stop = fmt.Sprintf("at %d receivers: %s", st.Receivers, st.Limit)
			log.Printf("%s: stopping: %s", sc.name, run.Stop)
			break
		}
	}
	return run
}

// stepOf turns a window's raw measurements into a report row.
func stepOf(w windowResult, receivers int, baseRSS int64) Step {
	sec := w.dur.Seconds()
	ni := w.node
	outPkts := ni.GetPacketsOutPerSecond() * sec
	outMbit := ni.GetBytesOutPerSecond() * 8 / 1e6 * sec
	cpuUS := float64(w.nodeCPU.Microseconds())
	expected := w.rx.packets + w.rx.missing
	s := Step{
		Receivers:     receivers,
		Connections:   int(ni.GetConnections()),
		Forwarded:     int(ni.GetForwardedTracks()),
		WindowS:       round(sec, 2),
		NodeCores:     round(w.nodeCPU.Seconds()/sec, 3),
		GenCores:      round(w.genCPU.Seconds()/sec, 3),
		OtherCores:    round(max(0, (w.boxCPU-w.nodeCPU-w.genCPU).Seconds()/sec), 3),
		PktsInPS:      round(ni.GetPacketsInPerSecond(), 0),
		PktsOutPS:     round(ni.GetPacketsOutPerSecond(), 0),
		MbitInPS:      round(ni.GetBytesInPerSecond()*8/1e6, 2),
		MbitOutPS:     round(ni.GetBytesOutPerSecond()*8/1e6, 2),
		RxPktsPS:      round(float64(w.rx.packets)/sec, 0),
		USPerPkt:      round(perUnit(cpuUS, outPkts), 2),
		USPerPktInOut: round(perUnit(cpuUS, outPkts+ni.GetPacketsInPerSecond()*sec), 2),
		MSPerMbit:     round(perUnit(cpuUS/1000, outMbit), 3),
		RSSMiB:        round(float64(w.rss)/mib, 1),
		RSSPerRxKiB:   round(perUnit(float64(w.rss-baseRSS)/1024, float64(receivers)), 0),
		Goroutines:    ni.GetGoroutines(),
		Latency:       histDist(w.rx.latency),
		LatencyAudio:  histDist(w.rx.audio),
		LatencyVideo:  histDist(w.rx.video),
		PerRxPPS:      round(perUnit(float64(w.rx.packets)/sec, float64(receivers)), 1),
		LossPct:       round(100*perUnit(float64(w.rx.missing), float64(expected)), 4),
		Missing:       w.rx.missing,
		VideoTracks:   w.videoTracks,
		FrozenS:       round(w.frozen.Seconds(), 2),
		FrozenPct:     round(100*perUnit(w.frozen.Seconds(), float64(w.videoTracks)*sec), 3),
	}
	return s
}

func histDist(h client.LatencyHistogram) Dist {
	if h.Count() == 0 {
		return Dist{}
	}
	return Dist{N: int(h.Count()), P50: round(ms(h.Quantile(0.5)), 3), P99: round(ms(h.Quantile(0.99)), 3), Max: round(ms(h.Quantile(1)), 3)}
}

func joinDists(ts []joinTiming) (rpc, connected, media Dist) {
	var a, b, c []time.Duration
	for _, t := range ts {
		a, b, c = append(a, t.RPC), append(b, t.Connected), append(c, t.FirstMedia)
	}
	return distOf(a), distOf(b), distOf(c)
}

// boxInfo is what stop conditions compare against.
type boxInfo struct{ cpus int }

// limit returns why the ramp should stop after s, or "".
func (o options) limit(s Step) string {
	switch {
	case s.NodeCores >= o.cpuLimit:
		return fmt.Sprintf("node CPU %.2f cores ≥ %.2f", s.NodeCores, o.cpuLimit)
	case s.NodeCores+s.GenCores+s.OtherCores >= o.boxLimit*float64(o.box.cpus):
		return fmt.Sprintf("box saturated: node %.2f + generator %.2f + other %.2f cores ≥ %.0f %% of %d CPUs",
			s.NodeCores, s.GenCores, s.OtherCores, 100*o.boxLimit, o.box.cpus)
	case s.Latency.P99 > ms(o.latencyLimit):
		return fmt.Sprintf("latency p99 %.0f ms > %.0f ms", s.Latency.P99, ms(o.latencyLimit))
	case s.Delivered > 0 && s.Delivered < o.minDelivered:
		return fmt.Sprintf("falling behind: each receiver gets %.0f %% of the packets per second of the first step", 100*s.Delivered)
	case s.LossPct > o.lossLimit:
		return fmt.Sprintf("loss %.2f %% > %.2f %%", s.LossPct, o.lossLimit)
	case s.NotReady*10 > s.Receivers:
		return fmt.Sprintf("%d of %d receivers did not get all their media", s.NotReady, s.Receivers)
	}
	return ""
}

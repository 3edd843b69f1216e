package main

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	"go.uber.org/zap"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// runStorm joins o.stormTotal webinar receivers at o.stormRate per second
// (each join on its own goroutine, started on schedule whether or not the
// previous ones finished), waits for everyone's first media, then makes
// them all leave at the same rate.
func runStorm(ctx context.Context, o options, bin string, zl *zap.Logger) Run {
	sc := webinar(o.fps)
	sc.name = "join-storm"
	run := Run{Scenario: sc.name, Publishers: 1,
		Description: fmt.Sprintf("%d receivers join at %g/s a room with 1 publisher (as in webinar: each pins the top layer and the audio), then leave at the same rate", o.stormTotal, o.stormRate)}
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
	load, err := newRoomLoad(ctx, n.api, "bench-storm", sc, zl)
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

	storm := &Storm{Rate: o.stormRate, Total: o.stormTotal}
	run.Storm = storm
	interval := time.Duration(float64(time.Second) / o.stormRate)
	p0, err := n.sample()
	if err != nil {
		return fail(err)
	}
	g0, t0 := selfCPU(), time.Now()
	log.Printf("%s: %d joins at %g/s", sc.name, o.stormTotal, o.stormRate)
	var (
		mu      sync.Mutex
		timings []joinTiming
		wg      sync.WaitGroup
	)
	tick := time.NewTicker(interval)
	for id := range o.stormTotal {
		if id > 0 {
			<-tick.C
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			jctx, cancel := context.WithTimeout(ctx, o.joinTimeout)
			defer cancel()
			c, t, err := load.joinReceiver(jctx, id)
			mu.Lock()
			defer mu.Unlock()
			if c != nil {
				load.rxs = append(load.rxs, c)
			}
			if err != nil {
				storm.Failed++
				zl.Warn("storm join", zap.Int("id", id), zap.Error(err))
				return
			}
			timings = append(timings, t)
		}()
	}
	tick.Stop()
	wg.Wait()
	storm.JoinRPC, storm.JoinConnected, storm.JoinMedia = joinDists(timings)
	p1, err := n.sample()
	if err != nil {
		return fail(err)
	}
	info, err := n.api.GetNodeInfo(ctx, &pb.GetNodeInfoRequest{})
	if err != nil {
		return fail(err)
	}
	storm.PeakRSSMiB, storm.Goroutines = round(float64(p1.RSS)/mib, 1), info.GetGoroutines()

	log.Printf("%s: leaving at %g/s", sc.name, o.stormRate)
	var leaves []time.Duration
	tick = time.NewTicker(interval)
	rxs := load.rxs
	load.rxs = nil
	for i, c := range rxs {
		if i > 0 {
			<-tick.C
		}
		wg.Add(1)
		go func(c *client.Client) {
			defer wg.Done()
			lctx, cancel := context.WithTimeout(ctx, o.joinTimeout)
			defer cancel()
			start := time.Now()
			err := c.Leave(lctx)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				leaves = append(leaves, time.Since(start))
			}
		}(c)
	}
	tick.Stop()
	wg.Wait()
	storm.Leave = distOf(leaves)
	dur := time.Since(t0)
	p2, err := n.sample()
	if err != nil {
		return fail(err)
	}
	storm.DurationS = round(dur.Seconds(), 2)
	storm.NodeCores = round((p2.CPU-p0.CPU).Seconds()/dur.Seconds(), 3)
	storm.GenCores = round((selfCPU()-g0).Seconds()/dur.Seconds(), 3)
	log.Printf("%s: join→media p50 %.0f ms p99 %.0f ms, %d failed", sc.name, storm.JoinMedia.P50, storm.JoinMedia.P99, storm.Failed)
	return run
}

// Command bench is Switchyard's load generator and performance report.
//
// It builds and starts the node (cmd/sfu) as a separate process on
// loopback, drives it through its gRPC API with real pion peers from
// pkg/client (publishers sending synthetic Opus and VP8 simulcast,
// receivers in slots mode), ramps the number of receivers in steps and, for
// each step, measures the node's CPU per forwarded packet, memory,
// latency, loss and frozen video, and the generator's own CPU. Results go to
// bench/results/<name>/ as results.md, results.json and one SVG plot per
// scenario.
//
//	go run ./bench -scenario webinar -steps 10,25,50,100,150
//	make bench    # the quick version, into bench/results/quick/
//
// Run it from the repository root (it builds ./cmd/sfu).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// options are the command-line flags.
type options struct {
	scenarios    []string
	steps        []int
	warmup       time.Duration
	window       time.Duration
	publishers   int
	fps          int
	parallel     int
	joinTimeout  time.Duration
	cpuLimit     float64
	boxLimit     float64
	lossLimit    float64
	minDelivered float64
	maxOther     float64
	latencyLimit time.Duration
	retries      int
	stormRate    float64
	stormTotal   int
	name, out    string
	nodeBin      string
	pprof        string
	cpuProfile   string
	heapProfile  string
	verbose      bool
	render       string
	box          boxInfo
}

func parseFlags(args []string) (options, error) {
	var (
		o                options
		scenarios, steps string
		fs               = flag.NewFlagSet("bench", flag.ContinueOnError)
	)
	fs.StringVar(&scenarios, "scenario", "webinar", "comma-separated scenarios: webinar, meeting, audio, join-storm")
	fs.StringVar(&steps, "steps", "10,25,50,100,200", "receivers at each ramp step (comma-separated, increasing)")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "settling time after the joins of each step")
	fs.DurationVar(&o.window, "window", 10*time.Second, "steady window measured at each step")
	fs.IntVar(&o.publishers, "publishers", 5, "publishers in the meeting scenario")
	fs.IntVar(&o.fps, "fps", 30, "video frame rate of the publishers")
	fs.IntVar(&o.parallel, "parallel", 4, "receivers joining (or leaving) at the same time during a ramp")
	fs.DurationVar(&o.joinTimeout, "join-timeout", 30*time.Second, "bound on one join (and on waiting for media)")
	fs.Float64Var(&o.cpuLimit, "cpu-limit", 1.8, "stop the ramp when the node uses this many cores")
	fs.Float64Var(&o.boxLimit, "box-limit", 0.95, "stop the ramp when node + generator use this fraction of the CPUs")
	fs.Float64Var(&o.lossLimit, "loss-limit", 2, "stop the ramp when receivers lose more than this percentage")
	fs.Float64Var(&o.minDelivered, "min-delivered", 0.95, "stop the ramp when each receiver gets less than this fraction of the packets per second of the first step (0: never)")
	fs.DurationVar(&o.latencyLimit, "latency-limit", 250*time.Millisecond, "stop the ramp when the latency p99 exceeds this (the node queues)")
	fs.Float64Var(&o.maxOther, "max-other", 0.15, "measure a window again when other processes used more than this many cores in it")
	fs.IntVar(&o.retries, "retries", 3, "how many times a window is measured again (see -max-other)")
	fs.Float64Var(&o.stormRate, "storm-rate", 10, "join-storm: joins per second")
	fs.IntVar(&o.stormTotal, "storm-total", 50, "join-storm: receivers in total")
	fs.StringVar(&o.name, "name", "", "results directory name (default <scenarios>-<date>)")
	fs.StringVar(&o.out, "out", filepath.Join("bench", "results"), "parent directory of the results")
	fs.StringVar(&o.nodeBin, "node-bin", "", "node binary to run (default: go build ./cmd/sfu into bin/)")
	fs.StringVar(&o.pprof, "pprof", "", "serve the node's /debug/pprof on this host:port while it runs")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a node CPU profile of every measured window into this directory (<scenario>-<receivers>.pprof); serves pprof on a free port unless -pprof is set")
	fs.StringVar(&o.heapProfile, "heapprofile", "", "write a node heap profile at the end of every measured window into this directory (<scenario>-<receivers>.heap.pprof); serves pprof on a free port unless -pprof is set")
	fs.BoolVar(&o.verbose, "v", false, "log the clients' warnings")
	fs.StringVar(&o.render, "render", "", "only rewrite results.md and the plots of this results directory from its results.json (no load)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	for _, s := range strings.Split(scenarios, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.scenarios = append(o.scenarios, s)
		}
	}
	var err error
	if o.steps, err = parseSteps(steps); err != nil {
		return o, err
	}
	for _, s := range o.scenarios {
		if s == "join-storm" {
			continue
		}
		if _, err := scenarioByName(s, o); err != nil {
			return o, err
		}
	}
	if len(o.scenarios) == 0 {
		return o, fmt.Errorf("no scenario")
	}
	if o.window < time.Second {
		return o, fmt.Errorf("-window must be at least 1s (the node's rates need 1 s)")
	}
	if o.publishers < 1 || o.fps < 1 || o.stormRate <= 0 || o.stormTotal < 1 {
		return o, fmt.Errorf("-publishers, -fps, -storm-rate and -storm-total must be positive")
	}
	if o.name == "" {
		o.name = strings.Join(o.scenarios, "+") + "-" + time.Now().Format("20060102-1504")
	}
	if (o.cpuProfile != "" || o.heapProfile != "") && o.pprof == "" {
		port, err := freePort()
		if err != nil {
			return o, fmt.Errorf("-cpuprofile/-heapprofile: %w", err)
		}
		o.pprof = fmt.Sprintf("127.0.0.1:%d", port)
	}
	o.box = boxInfo{cpus: runtime.NumCPU()}
	return o, nil
}

// parseSteps reads "10,25,50" into increasing positive counts.
func parseSteps(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-steps: %q is not a positive count", f)
		}
		if len(out) > 0 && n <= out[len(out)-1] {
			return nil, fmt.Errorf("-steps must increase: %d after %d", n, out[len(out)-1])
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-steps is empty")
	}
	return out, nil
}

func main() {
	log.SetFlags(log.Ltime)
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.render != "" {
		r, err := readReport(o.render)
		if err != nil {
			return err
		}
		return r.write(o.render)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	zl := zap.NewNop()
	if o.verbose {
		cfg := zap.NewDevelopmentConfig()
		cfg.Level = zap.NewAtomicLevelAt(zapcore.WarnLevel)
		var err error
		if zl, err = cfg.Build(); err != nil {
			return err
		}
	}
	bin := o.nodeBin
	if bin == "" {
		log.Printf("building the node")
		var err error
		if bin, err = buildNode(ctx, "bin"); err != nil {
			return err
		}
	}
	rep := &Report{
		Name:    o.name,
		Date:    time.Now().UTC().Format(time.RFC3339),
		Command: "go run ./bench " + strings.Join(os.Args[1:], " "),
		Machine: machineInfo(),
	}
	dir := filepath.Join(o.out, o.name)
	for _, name := range o.scenarios {
		var r Run
		if name == "join-storm" {
			r = runStorm(ctx, o, bin, zl)
		} else {
			sc, _ := scenarioByName(name, o)
			r = runRamp(ctx, o, bin, sc, zl)
		}
		rep.Runs = append(rep.Runs, r)
		// Written after every scenario so an interrupted run keeps what it
		// measured.
		if err := rep.write(dir); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	log.Printf("results in %s", dir)
	return nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// errNoPprof is returned when a CPU profile is asked for but the node does
// not serve /debug/pprof.
var errNoPprof = errors.New("the node serves no /debug/pprof (set -pprof)")

// profileLead is how much shorter than the window the CPU profile is, so it
// lies inside the window even with the HTTP round trip.
const profileLead = 500 * time.Millisecond

// profilePath is where the CPU profile of one step of a scenario goes.
func profilePath(dir, scenario string, receivers int) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", scenario, receivers))
}

// heapProfilePath is where the heap profile of one step of a scenario goes.
func heapProfilePath(dir, scenario string, receivers int) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%d.heap.pprof", scenario, receivers))
}

// heapProfile fetches the node's heap profile (in-use and allocated since
// start) from its HTTP server at addr and writes it to path, and the
// node's /metrics (go_memstats_*: heap against stacks and RSS) next to it
// as <scenario>-<receivers>.metrics.txt.
func heapProfile(ctx context.Context, addr, path string) error {
	if addr == "" {
		return errNoPprof
	}
	if err := fetchProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/heap", addr), path); err != nil {
		return err
	}
	return fetchProfile(ctx, fmt.Sprintf("http://%s/metrics", addr), strings.TrimSuffix(path, ".heap.pprof")+".metrics.txt")
}

// cpuProfile fetches a CPU profile of the node lasting d from its pprof
// server at addr and writes it to path. It is started together with a
// measured window, so the profile covers the steady state the window
// measures (the profiler itself costs the node a little CPU: about 1 %).
func cpuProfile(ctx context.Context, addr string, d time.Duration, path string) error {
	if addr == "" {
		return errNoPprof
	}
	secs := max(1, int((d - profileLead).Seconds()))
	return fetchProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), path)
}

// fetchProfile writes the body of a pprof endpoint at url to path.
func fetchProfile(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("profile: %s: %s", resp.Status, msg)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return fmt.Errorf("profile: %w", err)
	}
	return f.Close()
}

// profiledWindow runs measure while a CPU profile of the node is taken
// into o.cpuProfile (when set), then saves the node's heap profile into
// o.heapProfile (when set), and returns measure's result; a failed profile
// is reported but does not fail the window.
func profiledWindow(ctx context.Context, o options, scenario string, receivers int, measure func() (windowResult, error)) (windowResult, error) {
	w, err := cpuProfiledWindow(ctx, o, scenario, receivers, measure)
	if o.heapProfile != "" {
		path := heapProfilePath(o.heapProfile, scenario, receivers)
		if e := heapProfile(ctx, o.pprof, path); e != nil {
			log.Printf("%s: %d receivers: %v", scenario, receivers, e)
		} else {
			log.Printf("%s: %d receivers: heap profile in %s", scenario, receivers, path)
		}
	}
	return w, err
}

// cpuProfiledWindow runs measure while a CPU profile of the node is taken
// into o.cpuProfile (when set).
func cpuProfiledWindow(ctx context.Context, o options, scenario string, receivers int, measure func() (windowResult, error)) (windowResult, error) {
	if o.cpuProfile == "" {
		return measure()
	}
	path := profilePath(o.cpuProfile, scenario, receivers)
	perr := make(chan error, 1)
	go func() { perr <- cpuProfile(ctx, o.pprof, o.window, path) }()
	w, err := measure()
	if e := <-perr; e != nil {
		log.Printf("%s: %d receivers: %v", scenario, receivers, e)
	} else {
		log.Printf("%s: %d receivers: CPU profile in %s", scenario, receivers, path)
	}
	return w, err
}

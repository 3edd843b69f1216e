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

// cpuProfile fetches a CPU profile of the node lasting d from its pprof
// server at addr and writes it to path. It is started together with a
// measured window, so the profile covers the steady state the window
// measures (the profiler itself costs the node a little CPU: about 1 %).
func cpuProfile(ctx context.Context, addr string, d time.Duration, path string) error {
	if addr == "" {
		return errNoPprof
	}
	secs := max(1, int((d - profileLead).Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("cpu profile: %s: %s", resp.Status, msg)
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
		return fmt.Errorf("cpu profile: %w", err)
	}
	return f.Close()
}

// profiledWindow runs measure while a CPU profile of the node is taken
// into dir (when dir is set) and returns measure's result; a failed profile
// is reported but does not fail the window.
func profiledWindow(ctx context.Context, o options, scenario string, receivers int, measure func() (windowResult, error)) (windowResult, error) {
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

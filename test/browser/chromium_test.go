// Package browser holds the end-to-end tests with real headless Chromium
// participants: the demo page (web/) talking to the meeting service
// (internal/meeting, in the test process), which drives a media node
// (cmd/sfu, a separate process built without the race detector).
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium's flags (verified in /work/shared/REFERENCE.md, "Headless
// Chromium against a pion node"): fake camera/microphone and permission
// prompts, loopback ICE candidates (without them Chromium offers no
// 127.0.0.1 candidate and ICE never starts), and no background connections
// (the closed network refuses them and they only add noise).
var chromiumFlags = []chromedp.ExecAllocatorOption{
	chromedp.Flag("no-sandbox", true),
	// The fake camera at 15 fps (its default is 20): three participants
	// encode three layers and decode four streams each on a shared 2-core
	// box; with less CPU to spare Chromium's delay-based bandwidth estimate
	// sees queueing and holds back the top simulcast layer.
	chromedp.Flag("use-fake-device-for-media-stream", "fps=15"),
	chromedp.Flag("use-fake-ui-for-media-stream", true),
	chromedp.Flag("allow-loopback-in-peer-connection", true),
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("no-first-run", true),
	// Remote audio plays without a click.
	chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	// Small windows: compositing video tiles is software rendering here.
	chromedp.WindowSize(960, 600),
}

// chromiumPath finds the Chromium binary. Without one the test fails on CI
// (CI=true: scripts/test.sh and .ci/run install it) and is skipped with a
// clear message elsewhere.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SWITCHYARD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "Chromium not found (install it: apt-get install -y chromium, or set SWITCHYARD_CHROMIUM)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// startBrowser starts one headless Chromium for the test and returns its
// browser-level context; pages are opened with newPage. The browser's HOME,
// config, cache and temp files go to a temp dir. Cleanup stops the browser
// and waits for its process.
//
// One browser process with a window per participant, not one process per
// participant: it costs one browser, GPU and network process instead of
// three, which matters with three participants and the node on 2 cores.
// Each page gets its own window (chromedp's default for a new target), so
// every page is visible: Chrome hides all tabs of a window but the active
// one, and a hidden page is throttled (timers, rendering). The pages also
// get separate browser contexts, so they share no storage.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	exe := chromiumPath(t)
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"), "TMPDIR=" + home}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromiumFlags...)
	opts = append(opts, chromedp.ExecPath(exe), chromedp.UserDataDir(filepath.Join(home, "profile")), chromedp.Env(env...))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	// Start the browser now (the first context's tab is the blank start page).
	if err := chromedp.Do(bctx); err != nil {
		bcancel()
		acancel()
		t.Fatalf("start Chromium %s: %v", exe, err)
	}
	t.Cleanup(func() {
		// Cancel closes the browser and waits for its process to exit.
		if err := chromedp.Cancel(bctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("stop Chromium: %v", err)
		}
		bcancel()
		acancel()
	})
	return bctx
}

// newPage opens a window in its own browser context and navigates to url.
// If the test fails, the page's last picture is saved as failure-NAME.png.
func newPage(t *testing.T, browser context.Context, name, url string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(func() {
		defer cancel()
		if !t.Failed() {
			return
		}
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			path := filepath.Join(artifactDir(t), "failure-"+name+".png")
			if os.WriteFile(path, png, 0o644) == nil {
				t.Logf("screenshot of %s at the failure: %s", name, path)
			}
		}
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return ctx
}

// eval evaluates a JavaScript expression in the page (awaiting a promise)
// and decodes the result.
func eval[T any](ctx context.Context, expr string) (T, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// mustEval is eval that fails the test.
func mustEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := eval[T](ctx, expr)
	if err != nil {
		t.Fatalf("evaluate %s: %v", short(expr), err)
	}
	return v
}

// pollInterval is how often waitFor re-evaluates its condition.
const pollInterval = 150 * time.Millisecond

// waitFor evaluates expr until ok accepts its value or timeout passes, and
// returns the accepted value; on timeout it fails with the last value (or
// error) seen, which says what was missing.
func waitFor[T any](t *testing.T, ctx context.Context, timeout time.Duration, what, expr string, ok func(T) bool) T {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last T
	var lastErr error
	for {
		v, err := eval[T](ctx, expr)
		if err == nil && ok(v) {
			return v
		}
		last, lastErr = v, err
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last value %+v, error %v", timeout, what, last, lastErr)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// artifactDir is where screenshots go: $SWITCHYARD_ARTIFACTS, else
// test/browser/artifacts (gitignored).
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SWITCHYARD_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts: %v", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// screenshot writes a PNG of the page's viewport to the artifact dir.
func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(artifactDir(t), fmt.Sprintf("%s.png", name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("write screenshot: %v", err)
	}
	return path
}

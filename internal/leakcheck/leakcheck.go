// Package leakcheck fails a test whose goroutines outlive it: take the
// goroutine count before starting what the test runs, and Check it after
// everything was closed.
package leakcheck

import (
	"bytes"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"
)

// Wait bounds how long Check lets goroutines wind down: generous, because
// closed connections and timers end asynchronously and CI boxes are loaded.
const Wait = 15 * time.Second

// Check waits up to Wait until no more goroutines run than baseline and
// otherwise fails tb with every goroutine's stack.
func Check(tb testing.TB, baseline int) {
	tb.Helper()
	CheckWithin(tb, baseline, Wait)
}

// CheckWithin is Check with its own bound.
func CheckWithin(tb testing.TB, baseline int, wait time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(wait)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			var b bytes.Buffer
			_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
			tb.Errorf("goroutine leak: %d running, baseline %d\n%s", runtime.NumGoroutine(), baseline, b.String())
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

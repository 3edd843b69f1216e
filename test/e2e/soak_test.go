package e2e

import (
	"os"
	"runtime"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/switchyard-sfu/switchyard/internal/soak"
)

// A shortened soak: 30 s of joins and leaves with publishing and media
// requests; goroutines, descriptors and UDP sockets return to their
// baseline afterwards (bench/cmd/soak runs the long version against a node
// process).
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("soak skipped in -short mode")
	}
	h := startNode(t)
	rep, err := soak.Run(h.ctx, soak.Options{
		Node:     h.api,
		Duration: 30 * time.Second,
		Workers:  2,
		Sample: func() (soak.Sample, error) {
			return soak.ProcSample(os.Getpid(), runtime.NumGoroutine())
		},
		Logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)),
	})
	t.Logf("soak: %d cycles, %d errors; before %+v; after %+v", rep.Cycles, rep.Errors, rep.Before, rep.After)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cycles < 5 {
		t.Errorf("only %d join/leave cycles in 30 s", rep.Cycles)
	}
	if rep.Errors > rep.Cycles/10 {
		t.Errorf("%d failed cycles of %d", rep.Errors, rep.Cycles+rep.Errors)
	}
}

package browser

import (
	"os"
	"sync"
	"testing"

	"github.com/switchyard-sfu/switchyard/internal/nodeproc"
)

// The media node runs as its own process, cmd/sfu built once per test
// binary WITHOUT the race detector. Why not in-process: inside the `go test
// -race` binary Chromium's send-side bandwidth estimate, computed from the
// node's transport-cc feedback, often collapsed (down to 0.1 Mbit/s) and
// held back the top simulcast layer for a minute or more (6 of 9 runs); with
// a non-race node process it never took more than 22 s (7 runs).
// Measurements and the likely path in web/README.md, "Tests";
// SWITCHYARD_BROWSER_NODE=inprocess (startStack) reproduces the comparison.
// The node's own concurrency is covered by the -race runs of test/e2e and
// internal/meeting, which run it in-process.
var (
	sfuOnce sync.Once
	sfuBin  string
	sfuErr  error
	sfuDir  string
)

// buildSFU builds cmd/sfu into a temp dir (once); TestMain removes it.
func buildSFU() (string, error) {
	sfuOnce.Do(func() {
		sfuDir, sfuErr = os.MkdirTemp("", "switchyard-browser-")
		if sfuErr == nil {
			sfuBin, sfuErr = nodeproc.Build(sfuDir)
		}
	})
	return sfuBin, sfuErr
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sfuDir != "" {
		_ = os.RemoveAll(sfuDir)
	}
	os.Exit(code)
}

// startNodeProcess starts a node process with the settings a browser on
// this host needs (nodeproc.Start: plaintext gRPC and media on loopback,
// loopback candidates included) and returns its gRPC address.
func startNodeProcess(t *testing.T, id string) (addr string) {
	t.Helper()
	bin, err := buildSFU()
	if err != nil {
		t.Fatal(err)
	}
	return nodeproc.Start(t, bin, id, nodeproc.Options{}).Addr
}

package browser

import (
	"io/fs"
	"net/http/httptest"
	"os"
	"runtime"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/leakcheck"
	"github.com/switchyard-sfu/switchyard/internal/meeting"
	"github.com/switchyard-sfu/switchyard/internal/testnode"
	"github.com/switchyard-sfu/switchyard/web"
)

// stack is a media node process and the meeting service in this process,
// on loopback, serving the demo pages.
type stack struct {
	url  string // the meeting service's http://127.0.0.1:port
	node pb.MediaNodeClient
}

// checkLeaks registers, before anything else, a cleanup that runs after
// all the others: once the browser, service and node are gone, the
// goroutine count must come back to where it was.
func checkLeaks(t *testing.T) {
	t.Helper()
	baseline := runtime.NumGoroutine()
	t.Cleanup(func() { leakcheck.CheckWithin(t, baseline, 20*time.Second) })
}

// startStack starts a node process (startNodeProcess: loopback candidates
// included, transport-cc kept) and the meeting service pointed at it.
// SWITCHYARD_BROWSER_NODE=inprocess starts the node in the test process
// instead, only to compare (web/README.md, "Tests": under -race the top
// simulcast layer then often misses the test's bounds).
func startStack(t *testing.T) *stack {
	t.Helper()
	var addr string
	switch mode := os.Getenv("SWITCHYARD_BROWSER_NODE"); mode {
	case "", "process":
		addr = startNodeProcess(t, "browser-test-node")
	case "inprocess":
		addr = startNodeInProcess(t, "browser-test-node")
	default:
		t.Fatalf("SWITCHYARD_BROWSER_NODE=%q: want process (the default) or inprocess", mode)
	}

	static, err := fs.Sub(web.Static, "static")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := meeting.New(meeting.Options{
		Nodes:       []string{addr},
		DialOptions: []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())},
		Static:      static,
		Logger:      zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Named("meetingd"),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() {
		// The service first: it ends the WebSocket handlers the server
		// would otherwise wait for.
		if err := svc.Close(); err != nil {
			t.Errorf("meeting service close: %v", err)
		}
		srv.Close()
	})

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &stack{url: srv.URL, node: pb.NewMediaNodeClient(conn)}
}

// startNodeInProcess starts a node in the test process with the settings
// startNodeProcess gives its process; cleanup shuts it down.
func startNodeInProcess(t *testing.T, id string) (addr string) {
	t.Helper()
	return testnode.Start(t, testnode.Config(id)).GRPCAddr()
}

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/switchyard-sfu/switchyard/internal/config"
)

// The node's configuration the bench writes must load with the node's own
// loader (it rejects unknown keys), so a renamed setting fails here rather
// than at the start of a run.
func TestNodeConfigLoads(t *testing.T) {
	for _, pprof := range []string{"", "127.0.0.1:6060"} {
		path := filepath.Join(t.TempDir(), "node.yaml")
		if err := os.WriteFile(path, []byte(nodeConfig("127.0.0.1:7999", pprof)), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load([]string{"-config", path}, func(string) string { return "" })
		if err != nil {
			t.Fatalf("pprof %q: %v", pprof, err)
		}
		if cfg.GRPC.Listen != "127.0.0.1:7999" || !cfg.GRPC.Insecure || cfg.RTC.UDPPort != 0 || !cfg.RTC.IncludeLoopback {
			t.Errorf("config %+v", cfg)
		}
		if cfg.Limits.EventSubscribersPerRoom < 1000 || cfg.Rooms.MaxParticipants < 1000 {
			t.Errorf("limits too low for a ramp: %+v %+v", cfg.Limits, cfg.Rooms)
		}
		if (cfg.HTTP.Listen != "") != (pprof != "") || cfg.HTTP.Pprof != (pprof != "") {
			t.Errorf("pprof %q: http %+v", pprof, cfg.HTTP)
		}
	}
}

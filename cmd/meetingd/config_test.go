package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// Defaults, the YAML file, the environment and flags apply in that order.
func TestLoadConfigLayers(t *testing.T) {
	cfg, err := loadConfig([]string{"-config", "../../configs/meetingd-dev.yaml"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:8080" || len(cfg.Nodes) != 1 || cfg.Nodes[0] != "127.0.0.1:7880" || !cfg.NodeAuth.Insecure ||
		cfg.Log.Format != "console" || cfg.PingTimeout != 20*time.Second {
		t.Fatalf("dev config: %+v", cfg)
	}
	cfg, err = loadConfig([]string{"-config", "../../configs/meetingd-dev.yaml", "-listen", "127.0.0.1:9999"},
		env(map[string]string{"MEETINGD_NODES": "a:1, b:2", "MEETINGD_LISTEN": "127.0.0.1:8888", "MEETINGD_LOG_LEVEL": "debug"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9999" || strings.Join(cfg.Nodes, ",") != "a:1,b:2" || cfg.Log.Level != "debug" {
		t.Fatalf("overrides: %+v", cfg)
	}
	if _, err := loadConfig([]string{"-config", "../../configs/meetingd.yaml"}, env(nil)); err != nil {
		t.Fatalf("production config: %v", err)
	}
}

// Configurations that cannot work are refused with a message naming the
// setting.
func TestLoadConfigRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		yaml, env, want string
	}{
		{"listen: :8080\n", "", "nodes"},
		{"nodes: [nohost]\n", "", "nohost"},
		{"nodes: [a:1]\nlisten: nowhere\n", "", "listen"},
		{"nodes: [a:1]\nnode_auth: {insecure: true, ca_file: x}\n", "", "insecure"},
		{"nodes: [a:1]\nnode_auth: {cert_file: x}\n", "", "key_file"},
		{"nodes: [a:1]\nping_timeout: 0s\n", "", "ping_timeout"},
		{"nodes: [a:1]\nlog: {format: xml, level: info}\n", "", "log.format"},
		{"nodes: [a:1]\nbogus: 1\n", "", "bogus"},
		{"nodes: [a:1]\n", "maybe", "MEETINGD_NODES_INSECURE"},
	} {
		_, err := loadConfig([]string{"-config", write(c.yaml)}, env(map[string]string{"MEETINGD_NODES_INSECURE": c.env}))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error about %s", c.yaml, err, c.want)
		}
	}
}

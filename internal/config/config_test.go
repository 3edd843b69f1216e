package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	yml := "grpc:\n  listen: 127.0.0.1:1000\nrtc:\n  udp_port: 2000\n  include_loopback: true\nlog:\n  format: console\ndrain:\n  timeout: 30s\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load([]string{"-config", path, "-udp-port", "3000"}, env(map[string]string{
		"SWITCHYARD_GRPC_LISTEN": "127.0.0.1:1111",
		"SWITCHYARD_UDP_PORT":    "2222",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GRPC.Listen != "127.0.0.1:1111" {
		t.Errorf("env should override file: %q", cfg.GRPC.Listen)
	}
	if cfg.RTC.UDPPort != 3000 {
		t.Errorf("flag should override env: %d", cfg.RTC.UDPPort)
	}
	if !cfg.RTC.IncludeLoopback || cfg.Log.Format != "console" || cfg.Drain.Timeout != 30*time.Second {
		t.Errorf("file values lost: %+v", cfg)
	}
	if cfg.HTTP.Listen != ":9090" {
		t.Errorf("default lost: %q", cfg.HTTP.Listen)
	}
}

func TestRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct {
		yaml string
		args []string
		want string
	}{
		"unknown field": {yaml: "grpc:\n  lisen: x\n", want: "lisen"},
		"bad port":      {args: []string{"-udp-port", "70000"}, want: "udp_port"},
		"bad ip":        {args: []string{"-nat-ips", "1.2.3"}, want: "not an IP"},
		"bad format":    {args: []string{"-log-format", "xml"}, want: "log.format"},
		"bad listen":    {args: []string{"-grpc-listen", "nope"}, want: "grpc.listen"},
		"extra args":    {args: []string{"stray"}, want: "unexpected"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			args := tc.args
			if tc.yaml != "" {
				p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
				if err := os.WriteFile(p, []byte(tc.yaml), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append([]string{"-config", p}, args...)
			}
			_, err := Load(args, env(nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

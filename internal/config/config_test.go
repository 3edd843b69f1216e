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
	yml := "grpc:\n  listen: 127.0.0.1:1000\n  insecure: true\nrtc:\n  udp_port: 2000\n  include_loopback: true\nlog:\n  format: console\ndrain:\n  timeout: 30s\n"
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
		"unknown field":    {yaml: "grpc:\n  lisen: x\n", want: "lisen"},
		"bad port":         {args: []string{"-udp-port", "70000"}, want: "udp_port"},
		"bad ip":           {args: []string{"-nat-ips", "1.2.3"}, want: "not an IP"},
		"bad format":       {args: []string{"-log-format", "xml"}, want: "log.format"},
		"bad listen":       {args: []string{"-grpc-listen", "nope"}, want: "grpc.listen"},
		"extra args":       {args: []string{"stray"}, want: "unexpected"},
		"start rate":       {yaml: "rtc:\n  congestion:\n    start_kbps: 50000\n", want: "start_kbps"},
		"pacing":           {yaml: "rtc:\n  congestion:\n    pacing_factor: -1\n", want: "pacing_factor"},
		"retransmit share": {yaml: "rtc:\n  congestion:\n    retransmit_share: 5\n", want: "retransmit_share"},
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
			_, err := Load(append([]string{"-grpc-insecure"}, args...), env(nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestGRPCSecurityIsRequired(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"no TLS, not insecure":      {want: "cert_file"},
		"insecure by env":           {env: map[string]string{"SWITCHYARD_GRPC_INSECURE": "true"}},
		"TLS and token by env":      {env: map[string]string{"SWITCHYARD_GRPC_CERT": "c.pem", "SWITCHYARD_GRPC_KEY": "k.pem", "SWITCHYARD_GRPC_TOKEN": "s3cret"}},
		"TLS without any auth":      {env: map[string]string{"SWITCHYARD_GRPC_CERT": "c.pem", "SWITCHYARD_GRPC_KEY": "k.pem"}, want: "authenticated"},
		"TLS with client CA (mTLS)": {env: map[string]string{"SWITCHYARD_GRPC_CERT": "c.pem", "SWITCHYARD_GRPC_KEY": "k.pem", "SWITCHYARD_GRPC_CLIENT_CA": "ca.pem"}},
		"bad insecure value":        {env: map[string]string{"SWITCHYARD_GRPC_INSECURE": "maybe"}, want: "SWITCHYARD_GRPC_INSECURE"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(nil, env(tc.env))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

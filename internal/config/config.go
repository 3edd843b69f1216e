// Package config loads the node's configuration: defaults, then a YAML file,
// then SWITCHYARD_* environment variables, then command-line flags, each
// overriding the one before.
package config

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the node's configuration.
type Config struct {
	NodeID string `yaml:"node_id"`
	GRPC   GRPC   `yaml:"grpc"`
	HTTP   HTTP   `yaml:"http"`
	RTC    RTC    `yaml:"rtc"`
	Rooms  Rooms  `yaml:"rooms"`
	Log    Log    `yaml:"log"`
	Drain  Drain  `yaml:"drain"`
	Demo   Demo   `yaml:"demo"`
	Limits Limits `yaml:"limits"`
}

// Limits protect the node (ResourceExhausted beyond them); 0 takes the
// defaults in pkg/room, sized for 2 cores.
type Limits struct {
	Rooms                   int `yaml:"rooms"`
	DevicesPerParticipant   int `yaml:"devices_per_participant"`
	TracksPerConnection     int `yaml:"tracks_per_connection"`
	SlotsPerConnection      int `yaml:"slots_per_connection"`
	EventSubscribersPerRoom int `yaml:"event_subscribers_per_room"`
	// FailedTimeout keeps a connection whose transport failed this long
	// (for an ICE restart) before closing it.
	FailedTimeout time.Duration `yaml:"failed_timeout"`
	// ICEDisconnectedTimeout and ICEFailedTimeout tune how fast a vanished
	// client is noticed (pion defaults 5 s and 25 s).
	ICEDisconnectedTimeout time.Duration `yaml:"ice_disconnected_timeout"`
	ICEFailedTimeout       time.Duration `yaml:"ice_failed_timeout"`
}

// GRPC is the control-plane listener and its security.
type GRPC struct {
	// Listen is host:port of the MediaNode gRPC service.
	Listen string `yaml:"listen"`
	// Insecure serves plaintext without authentication. Only for a local
	// demo or a private network; the node warns loudly when it listens this
	// way on a non-loopback address. Otherwise TLS (CertFile/KeyFile) and
	// authentication (ClientCAFile for mTLS and/or Token) are required.
	Insecure bool `yaml:"insecure"`
	// CertFile and KeyFile are the server's TLS certificate and key (PEM).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ClientCAFile, if set, requires clients to present a certificate
	// signed by one of these CAs (mTLS).
	ClientCAFile string `yaml:"client_ca_file"`
	// Token, if set, requires "authorization: Bearer <token>" on every
	// call (TokenFile reads it from a file instead).
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
}

// HTTP serves /metrics, /healthz and, when enabled, /debug/pprof.
type HTTP struct {
	Listen string `yaml:"listen"`
	Pprof  bool   `yaml:"pprof"`
}

// RTC configures the media transport.
type RTC struct {
	// UDPPort is the single UDP port all connections share.
	UDPPort int `yaml:"udp_port"`
	// ListenIPs restricts the local addresses used for media (empty: all).
	ListenIPs []string `yaml:"listen_ips"`
	// IncludeLoopback offers 127.0.0.1 candidates (local demo and tests).
	IncludeLoopback bool `yaml:"include_loopback"`
	// NAT1To1IPs are public IPs advertised for a node behind 1:1 NAT.
	NAT1To1IPs []string `yaml:"nat_1to1_ips"`
	// Congestion configures per-receiver congestion control.
	Congestion Congestion `yaml:"congestion"`
}

// Congestion configures per-receiver bandwidth estimation and allocation.
type Congestion struct {
	// Disabled allocates from the receivers' caps alone.
	Disabled bool `yaml:"disabled"`
	// StartKbps is the estimate before any feedback (0: 300 kbit/s); probes
	// at start raise it within seconds.
	StartKbps int `yaml:"start_kbps"`
	// PacingFactor > 0 paces each receiver's video at this multiple of its
	// estimate (2.5 is usual); 0: no pacer.
	PacingFactor float64 `yaml:"pacing_factor"`
	// RetransmitShare bounds each receiver's retransmissions to this share
	// of its estimate (0: 0.25).
	RetransmitShare float64 `yaml:"retransmit_share"`
}

// Rooms holds room defaults.
type Rooms struct {
	MaxParticipants int `yaml:"max_participants"`
	EventHistory    int `yaml:"event_history"`
}

// Log configures zap.
type Log struct {
	// Format is "console" (development) or "json" (production).
	Format string `yaml:"format"`
	Level  string `yaml:"level"`
}

// Drain configures graceful shutdown on SIGTERM.
type Drain struct {
	// Timeout is how long a draining node waits for rooms to empty.
	Timeout time.Duration `yaml:"timeout"`
}

// Demo starts synthetic participants in a "demo" room after start-up so a
// fresh node shows traffic (grpcurl, /metrics) without a meeting service.
type Demo struct {
	Participants int `yaml:"participants"`
}

// Default returns the built-in defaults: production-like, JSON logs, no
// loopback candidates.
func Default() Config {
	return Config{
		NodeID: hostname(),
		GRPC:   GRPC{Listen: ":7880"},
		HTTP:   HTTP{Listen: ":9090"},
		RTC:    RTC{UDPPort: 7882},
		Rooms:  Rooms{MaxParticipants: 100, EventHistory: 1024},
		Log:    Log{Format: "json", Level: "info"},
		Drain:  Drain{Timeout: 5 * time.Minute},
		Limits: Limits{ICEDisconnectedTimeout: 5 * time.Second, ICEFailedTimeout: 10 * time.Second},
	}
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "switchyard"
	}
	return h
}

// Load builds the configuration from args (without the program name) and
// the environment. -config names the YAML file.
func Load(args []string, getenv func(string) string) (Config, error) {
	cfg := Default()
	fs := flag.NewFlagSet("sfu", flag.ContinueOnError)
	path := fs.String("config", getenv("SWITCHYARD_CONFIG"), "YAML configuration file")
	var f flagValues
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *path != "" {
		if err := DecodeFile(*path, &cfg); err != nil {
			return Config{}, err
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return Config{}, err
	}
	fs.Visit(func(fl *flag.Flag) { f.apply(fl.Name, &cfg) })
	return cfg, cfg.Validate()
}

// Validate checks the configuration for values that cannot work.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.GRPC.Listen); err != nil {
		return fmt.Errorf("grpc.listen %q: %w", c.GRPC.Listen, err)
	}
	if !c.GRPC.Insecure {
		if c.GRPC.CertFile == "" || c.GRPC.KeyFile == "" {
			return fmt.Errorf("grpc: TLS needs grpc.cert_file and grpc.key_file (or grpc.insecure: true for a local demo)")
		}
		if c.GRPC.ClientCAFile == "" && c.GRPC.Token == "" && c.GRPC.TokenFile == "" {
			return fmt.Errorf("grpc: set grpc.client_ca_file (mTLS) and/or grpc.token / grpc.token_file so callers are authenticated")
		}
	}
	if c.GRPC.Token != "" && c.GRPC.TokenFile != "" {
		return fmt.Errorf("grpc: set grpc.token or grpc.token_file, not both")
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			return fmt.Errorf("http.listen %q: %w", c.HTTP.Listen, err)
		}
	}
	if c.RTC.UDPPort < 0 || c.RTC.UDPPort > 65535 {
		return fmt.Errorf("rtc.udp_port %d out of range", c.RTC.UDPPort)
	}
	if c.RTC.Congestion.StartKbps < 0 || c.RTC.Congestion.StartKbps > 20_000 {
		return fmt.Errorf("rtc.congestion.start_kbps %d outside [0, 20000]", c.RTC.Congestion.StartKbps)
	}
	if f := c.RTC.Congestion.PacingFactor; !(f >= 0 && f <= 10) {
		return fmt.Errorf("rtc.congestion.pacing_factor %v outside [0, 10]", f)
	}
	if f := c.RTC.Congestion.RetransmitShare; !(f >= 0 && f <= 4) {
		return fmt.Errorf("rtc.congestion.retransmit_share %v outside [0, 4]", f)
	}
	for _, ip := range append(append([]string{}, c.RTC.ListenIPs...), c.RTC.NAT1To1IPs...) {
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("rtc: %q is not an IP address", ip)
		}
	}
	if err := c.Log.Validate(); err != nil {
		return err
	}
	if c.Rooms.MaxParticipants < 1 {
		return fmt.Errorf("rooms.max_participants must be at least 1")
	}
	if c.Demo.Participants < 0 || c.Demo.Participants > 10 {
		return fmt.Errorf("demo.participants must be between 0 and 10")
	}
	return nil
}

// flagValues holds the command-line overrides.
type flagValues struct {
	nodeID, grpcListen, httpListen, logFormat, logLevel, natIPs, listenIPs string
	udpPort, demo                                                          int
	loopback, pprof, insecure                                              bool
	drain                                                                  time.Duration
}

func (f *flagValues) register(fs *flag.FlagSet) {
	fs.StringVar(&f.nodeID, "node-id", "", "node id reported in GetNodeInfo")
	fs.StringVar(&f.grpcListen, "grpc-listen", "", "gRPC listen address (host:port)")
	fs.StringVar(&f.httpListen, "http-listen", "", "metrics/health listen address (host:port)")
	fs.IntVar(&f.udpPort, "udp-port", 0, "single UDP port for media")
	fs.StringVar(&f.listenIPs, "listen-ips", "", "comma-separated local IPs for media")
	fs.StringVar(&f.natIPs, "nat-ips", "", "comma-separated public IPs to advertise (1:1 NAT)")
	fs.BoolVar(&f.loopback, "include-loopback", false, "offer loopback ICE candidates")
	fs.BoolVar(&f.insecure, "grpc-insecure", false, "serve gRPC in plaintext without authentication (local demo only)")
	fs.StringVar(&f.logFormat, "log-format", "", "json or console")
	fs.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error")
	fs.BoolVar(&f.pprof, "pprof", false, "serve /debug/pprof on the HTTP listener")
	fs.DurationVar(&f.drain, "drain-timeout", 0, "how long SIGTERM waits for rooms to empty")
	fs.IntVar(&f.demo, "demo-participants", 0, "synthetic participants in a demo room")
}

func (f *flagValues) apply(name string, c *Config) {
	switch name {
	case "node-id":
		c.NodeID = f.nodeID
	case "grpc-listen":
		c.GRPC.Listen = f.grpcListen
	case "http-listen":
		c.HTTP.Listen = f.httpListen
	case "udp-port":
		c.RTC.UDPPort = f.udpPort
	case "listen-ips":
		c.RTC.ListenIPs = splitList(f.listenIPs)
	case "nat-ips":
		c.RTC.NAT1To1IPs = splitList(f.natIPs)
	case "include-loopback":
		c.RTC.IncludeLoopback = f.loopback
	case "grpc-insecure":
		c.GRPC.Insecure = f.insecure
	case "log-format":
		c.Log.Format = f.logFormat
	case "log-level":
		c.Log.Level = f.logLevel
	case "pprof":
		c.HTTP.Pprof = f.pprof
	case "drain-timeout":
		c.Drain.Timeout = f.drain
	case "demo-participants":
		c.Demo.Participants = f.demo
	}
}

// applyEnv applies SWITCHYARD_* variables.
func applyEnv(c *Config, getenv func(string) string) error {
	str := map[string]*string{
		"SWITCHYARD_NODE_ID":        &c.NodeID,
		"SWITCHYARD_GRPC_LISTEN":    &c.GRPC.Listen,
		"SWITCHYARD_GRPC_TOKEN":     &c.GRPC.Token,
		"SWITCHYARD_GRPC_CERT":      &c.GRPC.CertFile,
		"SWITCHYARD_GRPC_KEY":       &c.GRPC.KeyFile,
		"SWITCHYARD_GRPC_CLIENT_CA": &c.GRPC.ClientCAFile,
		"SWITCHYARD_HTTP_LISTEN":    &c.HTTP.Listen,
		"SWITCHYARD_LOG_FORMAT":     &c.Log.Format,
		"SWITCHYARD_LOG_LEVEL":      &c.Log.Level,
	}
	for k, p := range str {
		if v := getenv(k); v != "" {
			*p = v
		}
	}
	if v := getenv("SWITCHYARD_UDP_PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("SWITCHYARD_UDP_PORT: %w", err)
		}
		c.RTC.UDPPort = n
	}
	if v := getenv("SWITCHYARD_NAT_IPS"); v != "" {
		c.RTC.NAT1To1IPs = splitList(v)
	}
	if v := getenv("SWITCHYARD_LISTEN_IPS"); v != "" {
		c.RTC.ListenIPs = splitList(v)
	}
	for name, dst := range map[string]*bool{
		"SWITCHYARD_GRPC_INSECURE":    &c.GRPC.Insecure,
		"SWITCHYARD_INCLUDE_LOOPBACK": &c.RTC.IncludeLoopback,
	} {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			*dst = b
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

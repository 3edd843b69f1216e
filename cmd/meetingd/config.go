package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/switchyard-sfu/switchyard/internal/config"
	"github.com/switchyard-sfu/switchyard/internal/meeting"
)

// Config is the meeting service's configuration: defaults, then the YAML
// file, then MEETINGD_* environment variables, then flags.
type Config struct {
	// Listen is the HTTP address for the pages and the WebSocket.
	Listen string `yaml:"listen"`
	// Nodes are the media nodes' gRPC addresses.
	Nodes []string `yaml:"nodes"`
	// NodeAuth is how the service reaches the nodes' gRPC API.
	NodeAuth NodeAuth `yaml:"node_auth"`
	// PollInterval is how often every node's load is refreshed.
	PollInterval time.Duration `yaml:"poll_interval"`
	// PingInterval and PingTimeout detect browsers that went away.
	PingInterval time.Duration `yaml:"ping_interval"`
	PingTimeout  time.Duration `yaml:"ping_timeout"`
	// CallTimeout bounds each node call; LeaveTimeout the Leave for a
	// browser that went away.
	CallTimeout  time.Duration `yaml:"call_timeout"`
	LeaveTimeout time.Duration `yaml:"leave_timeout"`
	// Origins are extra hosts whose pages may open the WebSocket (the
	// service's own origin always may), e.g. "meet.example.com".
	Origins []string `yaml:"origins"`
	// ShutdownTimeout bounds the graceful stop on SIGTERM.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	Log             config.Log    `yaml:"log"`
}

// NodeAuth matches the node's grpc section: plaintext (insecure), or TLS
// with the node's CA, optionally a client certificate (mTLS), and/or a
// bearer token.
type NodeAuth struct {
	Insecure bool `yaml:"insecure"`
	// CAFile verifies the nodes' certificates (empty: the system roots).
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are the service's client certificate (mTLS).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName overrides the name checked in the nodes' certificates.
	ServerName string `yaml:"server_name"`
	// Token is sent as "authorization: Bearer <token>" (TokenFile reads it
	// from a file).
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
}

// defaultConfig is production-like: every interface, JSON logs, TLS to the
// nodes (which need node_auth set).
func defaultConfig() Config {
	return Config{
		Listen:          ":8080",
		PollInterval:    5 * time.Second,
		PingInterval:    10 * time.Second,
		PingTimeout:     20 * time.Second,
		CallTimeout:     20 * time.Second,
		LeaveTimeout:    5 * time.Second,
		ShutdownTimeout: 15 * time.Second,
		Log:             config.Log{Format: "json", Level: "info"},
	}
}

// loadConfig builds the configuration from args (without the program
// name) and the environment.
func loadConfig(args []string, getenv func(string) string) (Config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("meetingd", flag.ContinueOnError)
	path := fs.String("config", getenv("MEETINGD_CONFIG"), "YAML configuration file")
	listen := fs.String("listen", "", "HTTP listen address (host:port)")
	nodes := fs.String("nodes", "", "comma-separated node gRPC addresses")
	insecureNodes := fs.Bool("nodes-insecure", false, "talk plaintext gRPC to the nodes (local demo only)")
	logFormat := fs.String("log-format", "", "json or console")
	logLevel := fs.String("log-level", "", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *path != "" {
		if err := config.DecodeFile(*path, &cfg); err != nil {
			return Config{}, err
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return Config{}, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "listen":
			cfg.Listen = *listen
		case "nodes":
			cfg.Nodes = splitList(*nodes)
		case "nodes-insecure":
			cfg.NodeAuth.Insecure = *insecureNodes
		case "log-format":
			cfg.Log.Format = *logFormat
		case "log-level":
			cfg.Log.Level = *logLevel
		}
	})
	return cfg, cfg.validate()
}

func applyEnv(c *Config, getenv func(string) string) error {
	for k, p := range map[string]*string{
		"MEETINGD_LISTEN":           &c.Listen,
		"MEETINGD_NODES_CA":         &c.NodeAuth.CAFile,
		"MEETINGD_NODES_CERT":       &c.NodeAuth.CertFile,
		"MEETINGD_NODES_KEY":        &c.NodeAuth.KeyFile,
		"MEETINGD_NODES_TOKEN":      &c.NodeAuth.Token,
		"MEETINGD_NODES_TOKEN_FILE": &c.NodeAuth.TokenFile,
		"MEETINGD_LOG_FORMAT":       &c.Log.Format,
		"MEETINGD_LOG_LEVEL":        &c.Log.Level,
	} {
		if v := getenv(k); v != "" {
			*p = v
		}
	}
	if v := getenv("MEETINGD_NODES"); v != "" {
		c.Nodes = splitList(v)
	}
	if v := getenv("MEETINGD_NODES_INSECURE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("MEETINGD_NODES_INSECURE: %w", err)
		}
		c.NodeAuth.Insecure = b
	}
	return nil
}

func (c Config) validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen %q: %w", c.Listen, err)
	}
	if len(c.Nodes) == 0 {
		return errors.New("nodes: list at least one node gRPC address (host:port)")
	}
	for _, n := range c.Nodes {
		if _, _, err := net.SplitHostPort(n); err != nil {
			return fmt.Errorf("nodes: %q: %w", n, err)
		}
	}
	a := c.NodeAuth
	if a.Insecure && (a.CAFile != "" || a.CertFile != "" || a.KeyFile != "") {
		return errors.New("node_auth: insecure excludes TLS files")
	}
	if (a.CertFile == "") != (a.KeyFile == "") {
		return errors.New("node_auth: cert_file and key_file go together")
	}
	if a.Token != "" && a.TokenFile != "" {
		return errors.New("node_auth: set token or token_file, not both")
	}
	for name, d := range map[string]time.Duration{"poll_interval": c.PollInterval, "ping_interval": c.PingInterval,
		"ping_timeout": c.PingTimeout, "call_timeout": c.CallTimeout, "leave_timeout": c.LeaveTimeout, "shutdown_timeout": c.ShutdownTimeout} {
		if d <= 0 {
			return fmt.Errorf("%s must be positive", name)
		}
	}
	return c.Log.Validate()
}

// dialOptions turns NodeAuth into gRPC credentials.
func (a NodeAuth) dialOptions() ([]grpc.DialOption, error) {
	token := a.Token
	if a.TokenFile != "" {
		b, err := os.ReadFile(a.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("node_auth.token_file: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	var opts []grpc.DialOption
	if a.Insecure {
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	} else {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: a.ServerName}
		if a.CAFile != "" {
			pem, err := os.ReadFile(a.CAFile)
			if err != nil {
				return nil, fmt.Errorf("node_auth.ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("node_auth.ca_file %s holds no PEM certificate", a.CAFile)
			}
			cfg.RootCAs = pool
		}
		if a.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(a.CertFile, a.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("node_auth client certificate: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	}
	if token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer{token: token, secure: !a.Insecure}))
	}
	return opts, nil
}

// bearer sends the node's token with every call.
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(_ context.Context, _ ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearer) RequireTransportSecurity() bool { return b.secure }

func (c Config) serviceOptions(log *zap.Logger) (meeting.Options, error) {
	dial, err := c.NodeAuth.dialOptions()
	if err != nil {
		return meeting.Options{}, err
	}
	return meeting.Options{
		Nodes: c.Nodes, DialOptions: dial,
		PollInterval: c.PollInterval, PingInterval: c.PingInterval, PingTimeout: c.PingTimeout,
		CallTimeout: c.CallTimeout, LeaveTimeout: c.LeaveTimeout, OriginPatterns: c.Origins,
		Logger: log,
	}, nil
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

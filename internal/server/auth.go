package server

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Security configures how the control plane authenticates its callers.
type Security struct {
	// Insecure serves plaintext without authentication (local demo only).
	Insecure bool
	// CertFile and KeyFile are the server's TLS certificate and key.
	CertFile, KeyFile string
	// ClientCAFile requires client certificates signed by these CAs.
	ClientCAFile string
	// Token requires "authorization: Bearer <Token>".
	Token string
}

// healthPrefix is exempt from token checks so that load balancers and
// orchestrators can probe the node without the meeting service's secret.
const healthPrefix = "/grpc.health.v1.Health/"

// ErrNoCredentials is returned when neither TLS nor insecure mode is set.
var ErrNoCredentials = errors.New("gRPC needs TLS credentials or insecure mode")

// SecureServerOptions returns the grpc.ServerOptions for sec: TLS (with
// client certificate verification when a client CA is set) and a bearer
// token check on every call but health checks.
func SecureServerOptions(sec Security) ([]grpc.ServerOption, error) {
	var opts []grpc.ServerOption
	if !sec.Insecure {
		if sec.CertFile == "" || sec.KeyFile == "" {
			return nil, ErrNoCredentials
		}
		cert, err := tls.LoadX509KeyPair(sec.CertFile, sec.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load gRPC TLS key pair: %w", err)
		}
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if sec.ClientCAFile != "" {
			pem, err := os.ReadFile(sec.ClientCAFile)
			if err != nil {
				return nil, fmt.Errorf("read client CA: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("client CA %s holds no PEM certificate", sec.ClientCAFile)
			}
			cfg.ClientCAs = pool
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
	}
	if sec.Token != "" {
		check := tokenChecker(sec.Token)
		opts = append(opts,
			grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
				if err := check(ctx, info.FullMethod); err != nil {
					return nil, err
				}
				return h(ctx, req)
			}),
			grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
				if err := check(ss.Context(), info.FullMethod); err != nil {
					return err
				}
				return h(srv, ss)
			}),
		)
	}
	return opts, nil
}

// tokenChecker compares the bearer token in constant time.
func tokenChecker(token string) func(ctx context.Context, method string) error {
	want := []byte(token)
	return func(ctx context.Context, method string) error {
		if strings.HasPrefix(method, healthPrefix) {
			return nil
		}
		md, _ := metadata.FromIncomingContext(ctx)
		for _, v := range md.Get("authorization") {
			got, ok := strings.CutPrefix(v, "Bearer ")
			if ok && subtle.ConstantTimeCompare([]byte(got), want) == 1 {
				return nil
			}
		}
		return status.Error(codes.Unauthenticated, "missing or wrong bearer token in the authorization metadata")
	}
}

// TokenCredentials is the client side: per-RPC "authorization: Bearer"
// metadata. requireTLS should be true outside tests.
type TokenCredentials struct {
	Token      string
	RequireTLS bool
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (t TokenCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + t.Token}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials.
func (t TokenCredentials) RequireTransportSecurity() bool { return t.RequireTLS }

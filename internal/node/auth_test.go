package node

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/server"
)

// pki is a throwaway CA with certificates signed by it.
type pki struct {
	t    *testing.T
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newPKI(t *testing.T, name string) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	p := &pki{t: t, dir: t.TempDir(), cert: cert, key: key, pool: x509.NewCertPool()}
	p.pool.AddCert(cert)
	p.write("ca.crt", "CERTIFICATE", der)
	return p
}

func (p *pki) write(name, typ string, der []byte) string {
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// issue signs a leaf certificate and returns its cert and key file paths
// and the loaded pair.
func (p *pki) issue(name string, server bool) (string, string, tls.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	if err != nil {
		p.t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		p.t.Fatal(err)
	}
	certPath := p.write(name+".crt", "CERTIFICATE", der)
	keyPath := p.write(name+".key", "EC PRIVATE KEY", kder)
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		p.t.Fatal(err)
	}
	return certPath, keyPath, pair
}

func call(t *testing.T, addr string, opts ...grpc.DialOption) error {
	t.Helper()
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = pb.NewMediaNodeClient(conn).ListRooms(ctx, &pb.ListRoomsRequest{})
	return err
}

func TestAuthToken(t *testing.T) {
	ca := newPKI(t, "ca")
	certFile, keyFile, _ := ca.issue("node", true)
	cfg := testConfig()
	cfg.GRPC.Insecure = false
	cfg.GRPC.CertFile, cfg.GRPC.KeyFile, cfg.GRPC.Token = certFile, keyFile, "s3cret"
	n, err := Start(cfg, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = n.Shutdown(context.Background()) }()
	tlsCreds := grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS12}))
	token := func(s string) grpc.DialOption {
		return grpc.WithPerRPCCredentials(server.TokenCredentials{Token: s, RequireTLS: true})
	}

	if err := call(t, n.GRPCAddr(), tlsCreds); status.Code(err) != codes.Unauthenticated {
		t.Errorf("no token: %v, want Unauthenticated", err)
	}
	if err := call(t, n.GRPCAddr(), tlsCreds, token("wrong")); status.Code(err) != codes.Unauthenticated {
		t.Errorf("wrong token: %v, want Unauthenticated", err)
	}
	if err := call(t, n.GRPCAddr(), tlsCreds, token("s3cret")); err != nil {
		t.Errorf("right token refused: %v", err)
	}
	// Health checks need no token (load balancers probe them).
	conn, err := grpc.NewClient(n.GRPCAddr(), tlsCreds)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("health without token: %v", err)
	}
}

func TestAuthMutualTLS(t *testing.T) {
	ca := newPKI(t, "ca")
	other := newPKI(t, "other-ca")
	certFile, keyFile, _ := ca.issue("node", true)
	_, _, good := ca.issue("meeting-service", false)
	_, _, bad := other.issue("intruder", false)
	cfg := testConfig()
	cfg.GRPC.Insecure = false
	cfg.GRPC.CertFile, cfg.GRPC.KeyFile = certFile, keyFile
	cfg.GRPC.ClientCAFile = filepath.Join(ca.dir, "ca.crt")
	n, err := Start(cfg, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = n.Shutdown(context.Background()) }()
	creds := func(certs ...tls.Certificate) grpc.DialOption {
		return grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: ca.pool, Certificates: certs, MinVersion: tls.VersionTLS12}))
	}
	if err := call(t, n.GRPCAddr(), creds()); err == nil {
		t.Error("no client certificate accepted")
	}
	if err := call(t, n.GRPCAddr(), creds(bad)); err == nil {
		t.Error("client certificate from another CA accepted")
	}
	if err := call(t, n.GRPCAddr(), creds(good)); err != nil {
		t.Errorf("right client certificate refused: %v", err)
	}
}

func TestInsecureRequiresOptIn(t *testing.T) {
	cfg := testConfig()
	cfg.GRPC.Insecure = false
	if _, err := Start(cfg, zap.NewNop()); err == nil {
		t.Fatal("node started without TLS and without grpc.insecure")
	}
}

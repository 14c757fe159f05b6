package redistest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cloudbroker/config"
)

// Certs are PEM files a test made: a CA, a server certificate for 127.0.0.1 and a client
// certificate, each signed by the CA.
type Certs struct {
	CAFile, ServerCert, ServerKey, ClientCert, ClientKey string
}

// NewCerts makes a fresh CA and the server and client certificates in a temp dir.
func NewCerts(t testing.TB) Certs {
	t.Helper()
	dir := t.TempDir()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cloudbroker test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	c := Certs{CAFile: filepath.Join(dir, "ca.pem")}
	writePEM(t, c.CAFile, "CERTIFICATE", caDER)
	issue := func(serial int64, name string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
		writePEM(t, certFile, "CERTIFICATE", der)
		writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
		return certFile, keyFile
	}
	c.ServerCert, c.ServerKey = issue(2, "server", x509.ExtKeyUsageServerAuth)
	c.ClientCert, c.ClientKey = issue(3, "client", x509.ExtKeyUsageClientAuth)
	return c
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// StartTLS starts a TLS-only redis-server (no plain port) with the server certificate of
// certs. With authClients it requires a client certificate signed by the CA.
func StartTLS(t testing.TB, certs Certs, authClients bool) *Server {
	t.Helper()
	s := newServer(t)
	auth := "no"
	if authClients {
		auth = "yes"
	}
	s.argv = append(s.common("--tls-port"), "--port", "0", "--appendonly", "no",
		"--tls-cert-file", certs.ServerCert, "--tls-key-file", certs.ServerKey,
		"--tls-ca-cert-file", certs.CAFile, "--tls-auth-clients", auth)
	tlsCfg, err := s.TLSRedis(certs).TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	s.tls = tlsCfg
	s.launch(t)
	return s
}

// TLSRedis is the broker's configuration for this TLS server: verified against the CA, with the
// client certificate.
func (s *Server) TLSRedis(certs Certs) config.Redis {
	return config.Redis{Addr: s.Addr, RedisTLS: config.RedisTLS{TLS: true, TLSCAFile: certs.CAFile,
		TLSCertFile: certs.ClientCert, TLSKeyFile: certs.ClientKey}}
}

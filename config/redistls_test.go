package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/config"
	"cloudbroker/test/redistest"
)

// TLS files are checked at load, each problem named with what to do about it.
func TestRedisTLSFiles(t *testing.T) {
	certs := redistest.NewCerts(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name  string
		redis config.Redis
		want  []string // one fragment per expected problem; none: valid
	}{
		{"CA and client pair", config.Redis{RedisTLS: config.RedisTLS{TLS: true, TLSCAFile: certs.CAFile, TLSCertFile: certs.ClientCert, TLSKeyFile: certs.ClientKey}}, nil},
		{"system roots", config.Redis{RedisTLS: config.RedisTLS{TLS: true}}, nil},
		{"unreadable CA file", config.Redis{RedisTLS: config.RedisTLS{TLS: true, TLSCAFile: missing}},
			[]string{"redis.tls_ca_file: open " + missing + ": no such file or directory"}},
		{"CA file without PEM", config.Redis{RedisTLS: config.RedisTLS{TLS: true, TLSCAFile: garbage}},
			[]string{"redis.tls_ca_file: " + garbage + " holds no PEM certificate"}},
		{"certificate without key", config.Redis{RedisTLS: config.RedisTLS{TLS: true, TLSCertFile: certs.ClientCert}},
			[]string{"tls_cert_file and tls_key_file go together"}},
		{"key that is not the certificate's", config.Redis{RedisTLS: config.RedisTLS{TLS: true, TLSCertFile: certs.ClientCert, TLSKeyFile: certs.ServerKey}},
			[]string{"redis.tls_cert_file / tls_key_file: tls: private key does not match public key"}},
		{"every problem at once", config.Redis{RedisTLS: config.RedisTLS{TLS: true, TLSCAFile: garbage, TLSCertFile: garbage, TLSKeyFile: garbage}},
			[]string{"holds no PEM certificate", "redis.tls_cert_file / tls_key_file: tls: failed to find any PEM data"}},
		{"files without tls", config.Redis{RedisTLS: config.RedisTLS{TLSCAFile: certs.CAFile}},
			[]string{"redis.tls: tls_ca_file, tls_cert_file or tls_key_file is set but tls is false: set tls: true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Config{Redis: tc.redis}
			c.Redis.Addr = "127.0.0.1:6379"
			c.SetDefaults()
			var got []string
			if err := c.Validate(); err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if diff := cmp.Diff(len(tc.want), len(got)); diff != "" {
				t.Fatalf("problems %q, want %d (-want +got):\n%s", got, len(tc.want), diff)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

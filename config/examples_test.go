package config_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/config"
	"cloudbroker/test/redistest"
)

// exampleEnv is an environment for the examples' placeholders: a file for each *_FILE (the
// CA, client certificate and key of certs), a distinct 16+ character secret for the others.
func exampleEnv(t *testing.T, b []byte, certs redistest.Certs) func(string) string {
	t.Helper()
	names, err := config.Placeholders(b)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, n := range names {
		switch {
		case strings.HasSuffix(n, "_CA_FILE"):
			env[n] = certs.CAFile
		case strings.HasSuffix(n, "_CERT_FILE"):
			env[n] = certs.ClientCert
		case strings.HasSuffix(n, "_KEY_FILE"):
			env[n] = certs.ClientKey
		default:
			env[n] = "secret-of-" + strings.ToLower(n)
		}
	}
	return func(k string) string { return env[k] }
}

// Every file under examples/ loads and validates with its secrets from the environment, and
// each topology is the one its name says.
func TestExamples(t *testing.T) {
	certs := redistest.NewCerts(t)
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, err := config.Parse(b, exampleEnv(t, b, certs))
		if err != nil {
			t.Errorf("%s:\n%v", f, err)
			continue
		}
		got[filepath.Base(f)] = topology(c)
	}
	want := map[string]string{
		"single.yaml":       "addr, worker, 1 providers, 2 tokens, 0 accounts",
		"sentinel.yaml":     "sentinel+tls, worker, 2 providers, 2 tokens, 0 accounts",
		"cluster.yaml":      "cluster+tls+client-cert, no worker, 3 providers, 2 tokens, 0 accounts",
		"agent-site.yaml":   "sentinel+tls, worker, 1 providers, 0 tokens, 0 accounts",
		"multi-tenant.yaml": "addr, worker, 3 providers, 3 tokens, 1 accounts",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("examples (-want +got):\n%s", diff)
	}
}

func topology(c *config.Config) string {
	r := c.Redis
	mode := "addr"
	switch {
	case len(r.ClusterAddrs) > 0:
		mode = "cluster"
	case r.SentinelMaster != "":
		mode = "sentinel"
	}
	if r.TLS {
		mode += "+tls"
	}
	if r.TLSCertFile != "" {
		mode += "+client-cert"
	}
	worker := "worker"
	if !*c.Worker.Enabled {
		worker = "no worker"
	}
	return strings.Join([]string{mode, worker, strconv.Itoa(len(c.Providers)) + " providers", strconv.Itoa(len(c.Auth.Tokens)) + " tokens", strconv.Itoa(len(c.ZStack.Accounts)) + " accounts"}, ", ")
}

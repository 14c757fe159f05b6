package redisdeploy_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"cloudbroker/cmd/app"
	"cloudbroker/config"
	"cloudbroker/queue"
	"cloudbroker/test/harness"
	"cloudbroker/test/redistest"
)

// The broker over a TLS-only Redis (no plain port) whose certificate a test CA signed: a sync
// diskinfo and its task info, with and without a client certificate required.
func TestTLSRedis(t *testing.T) {
	certs := redistest.NewCerts(t)
	for _, tc := range []struct {
		name        string
		authClients bool
		redis       func(*redistest.Server) config.Redis
	}{
		{"server verified against tls_ca_file", false, func(s *redistest.Server) config.Redis {
			return config.Redis{Addr: s.Addr, RedisTLS: config.RedisTLS{TLS: true, TLSCAFile: certs.CAFile}}
		}},
		{"client certificate required", true, func(s *redistest.Server) config.Redis { return s.TLSRedis(certs) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := tc.redis(redistest.StartTLS(t, certs, tc.authClients))
			b := harness.Start(t, harness.Options{RedisConfig: &rc})
			b.WaitSynced(t)
			code, body := b.Post(t, "/api/vm/diskinfo", harness.AdminToken, map[string]any{"vmid": b.VMIDs(t, "vc1")[0], "mode": 0})
			var env struct {
				TaskID  string
				Content struct {
					Task struct {
						Errcode string `json:"task_errcode"`
					} `json:"task"`
				}
			}
			json.Unmarshal(body, &env)
			if code != http.StatusOK || env.Content.Task.Errcode != "200" {
				t.Fatalf("sync diskinfo: %d %s", code, body)
			}
			if code, body := b.Post(t, "/api/task/info", harness.AdminToken, map[string]any{"taskid": env.TaskID}); code != http.StatusOK || !strings.Contains(string(body), `"task_errcode":"200"`) {
				t.Errorf("task info: %d %s", code, body)
			}
		})
	}
}

// Verification is on unless tls_insecure says otherwise: a certificate from an unknown CA,
// one for another name, a missing client certificate are all refused.
func TestTLSRedisVerifies(t *testing.T) {
	certs := redistest.NewCerts(t)
	s := redistest.StartTLS(t, certs, true)
	full := s.TLSRedis(certs)
	for _, tc := range []struct {
		name string
		tune func(*config.Redis)
		want string // "" connects
	}{
		{"CA and client certificate", func(*config.Redis) {}, ""},
		{"system roots only", func(r *config.Redis) { r.TLSCAFile = "" }, "certificate signed by unknown authority"},
		{"another server name", func(r *config.Redis) { r.TLSServerName = "redis.example" }, "not redis.example"},
		{"no client certificate", func(r *config.Redis) { r.TLSCertFile, r.TLSKeyFile = "", "" }, "certificate required"},
		{"insecure skips the server's check", func(r *config.Redis) { r.TLSCAFile, r.TLSInsecure = "", true }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := full
			tc.tune(&rc)
			ro, err := app.RedisOptions(rc)
			if err != nil {
				t.Fatal(err)
			}
			rdb := queue.NewRedis(ro)
			defer rdb.Close()
			err = rdb.Ping(context.Background()).Err()
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("ping: %v, want %q", err, tc.want)
			}
		})
	}
}

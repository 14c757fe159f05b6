package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"cloudbroker/config"
	"cloudbroker/test/harness"
)

// opsRequest sends a request to the broker with the given headers and returns the status.
func opsRequest(t *testing.T, b *harness.Broker, method, path string, header http.Header, basic string) int {
	t.Helper()
	req, err := http.NewRequest(method, b.URL+path, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	if basic != "" {
		req.SetBasicAuth("admin", basic)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// The queue UI takes no cross-site writes: a form another site posts with the admin's Basic
// credentials (which the browser adds by itself) is refused and the queue stays running; the
// UI's own page, a Bearer script and http.public_origin may write.
func TestQueueUIRefusesCrossSiteWrites(t *testing.T) {
	b := harness.Start(t, harness.Options{NoWorker: true, Tune: func(c *config.Config) {
		c.HTTP.PublicOrigin = "https://broker.example"
	}})
	rdb := b.Redis.Client(t)
	ctx := context.Background()
	const pause, paused = "/admin/queues/api/queues/default:pause", "asynq:{default}:paused"
	self := b.URL // the request's own Host
	for _, tc := range []struct {
		name   string
		header http.Header
		basic  string
		bearer bool
		want   int
	}{
		{"cross-site form, Basic", http.Header{"Origin": {"https://evil.example"}}, harness.AdminToken, false, http.StatusForbidden},
		{"cross-site Referer, Basic", http.Header{"Referer": {"https://evil.example/page"}}, harness.AdminToken, false, http.StatusForbidden},
		{"opaque origin, Basic", http.Header{"Origin": {"null"}}, harness.AdminToken, false, http.StatusForbidden},
		{"no Origin nor Referer, Basic", http.Header{}, harness.AdminToken, false, http.StatusForbidden},
		{"cross-site, Bearer", http.Header{"Origin": {"https://evil.example"}}, "", true, http.StatusForbidden},
		{"tenant token", http.Header{"Origin": {self}}, harness.TenantToken, false, http.StatusUnauthorized},
		{"same origin, Basic", http.Header{"Origin": {self}}, harness.AdminToken, false, http.StatusNoContent},
		{"same-origin Referer, Basic", http.Header{"Referer": {self + "/admin/queues/"}}, harness.AdminToken, false, http.StatusNoContent},
		{"public origin, Basic", http.Header{"Origin": {"https://broker.example"}}, harness.AdminToken, false, http.StatusNoContent},
		{"script without Origin, Bearer", http.Header{}, "", true, http.StatusNoContent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb.Del(ctx, paused)
			if tc.bearer {
				tc.header.Set("Authorization", "Bearer "+harness.AdminToken)
			}
			tc.header.Set("Content-Type", "application/x-www-form-urlencoded")
			if got := opsRequest(t, b, http.MethodPost, pause, tc.header, tc.basic); got != tc.want {
				t.Errorf("POST %s: %d, want %d", pause, got, tc.want)
			}
			wantPaused := int64(0)
			if tc.want == http.StatusNoContent {
				wantPaused = 1
			}
			if n := rdb.Exists(ctx, paused).Val(); n != wantPaused {
				t.Errorf("queue paused = %d after the request, want %d", n, wantPaused)
			}
		})
	}
	// Reads need no origin: a browser opening the UI sends none.
	if got := opsRequest(t, b, http.MethodGet, "/admin/queues/api/queues", http.Header{}, harness.AdminToken); got != http.StatusOK {
		t.Errorf("GET the queues with Basic: %d, want 200", got)
	}
}

// /metrics behind http.metrics_token: Bearer with the token only.
func TestMetricsToken(t *testing.T) {
	const tok = "metrics-token-0123456789"
	b := harness.Start(t, harness.Options{NoWorker: true, Tune: func(c *config.Config) { c.HTTP.MetricsToken = tok }})
	for _, tc := range []struct {
		name, auth string
		want       int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong token", "Bearer " + harness.AdminToken, http.StatusUnauthorized},
		{"token as Basic", "Basic bWV0cmljczptZXRyaWNzLXRva2VuLTAxMjM0NTY3ODk=", http.StatusUnauthorized},
		{"token", "Bearer " + tok, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.auth != "" {
				h.Set("Authorization", tc.auth)
			}
			if got := opsRequest(t, b, http.MethodGet, "/metrics", h, ""); got != tc.want {
				t.Errorf("GET /metrics: %d, want %d", got, tc.want)
			}
		})
	}
}

// Package ops_test checks the operator-facing parts: metrics, rate limits, the queue UI and
// the per-provider concurrency bound, against a real broker on real Redis and simulators.
package ops_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/test/harness"
)

func get(t *testing.T, url string, header http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMetricsPresent(t *testing.T) {
	b := harness.Start(t, harness.Options{})
	b.WaitSynced(t)
	id := b.VMIDs(t, "vc1")[0]
	if code, body := b.Post(t, "/api/vm/diskinfo", harness.AdminToken, map[string]any{"vmid": id, "mode": 0}); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	code, text := get(t, b.URL+"/metrics", nil)
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`cloudbroker_http_requests_total{dialect="vcproxy",method="POST",route="/api/vm/diskinfo",status="200"}`,
		`cloudbroker_http_request_duration_seconds_bucket{dialect="vcproxy",route="/api/vm/diskinfo"`,
		`cloudbroker_task_duration_seconds_count{outcome="ok",type="vm:diskinfo"}`,
		`cloudbroker_queue_tasks{queue="default",state="pending"}`,
		`cloudbroker_provider_sync_age_seconds{provider="vc1"}`,
		`cloudbroker_provider_sync_ok{provider="vc1"} 1`,
		`cloudbroker_webhook_delivery_failures_total`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestRateLimitAnswersRetryAfter(t *testing.T) {
	b := harness.Start(t, harness.Options{Tune: func(c *config.Config) {
		for i := range c.Auth.Tokens {
			if c.Auth.Tokens[i].Name == "tenant" {
				c.Auth.Tokens[i].Rate = &config.RateLimit{RPS: 0.5, Burst: 2}
			}
		}
	}})
	var codes []int
	var last *http.Response
	for range 3 {
		req, _ := http.NewRequest(http.MethodPost, b.URL+"/api/agent/list", strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer "+harness.TenantToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
		last = resp
		if resp.StatusCode == 429 && !strings.Contains(string(body), `"errcode":"429"`) {
			t.Errorf("429 body not in the vcproxy shape: %s", body)
		}
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 {
		t.Fatalf("codes = %v, want [200 200 429] for a burst of 2", codes)
	}
	if ra := last.Header.Get("Retry-After"); ra != "2" {
		t.Errorf("Retry-After = %q, want 2 (one token per 2s)", ra)
	}
	// The admin token has its own bucket: one tenant's limit does not limit others.
	if code, _ := b.Post(t, "/api/agent/list", harness.AdminToken, nil); code != 200 {
		t.Errorf("admin request after the tenant's 429: %d", code)
	}
}

func TestQueueUIBehindAdminToken(t *testing.T) {
	b := harness.Start(t, harness.Options{})
	id := b.VMIDs(t, "vc1")[0]
	if code, body := b.Post(t, "/api/vm/diskinfo", harness.AdminToken, map[string]any{"vmid": id, "mode": 0}); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if code, _ := get(t, b.URL+"/admin/queues/", nil); code != 401 {
		t.Errorf("no token: %d, want 401", code)
	}
	if code, _ := get(t, b.URL+"/admin/queues/", http.Header{"Authorization": {"Bearer " + harness.TenantToken}}); code != 401 {
		t.Errorf("non-admin token: %d, want 401", code)
	}
	req, _ := http.NewRequest(http.MethodGet, b.URL+"/admin/queues/", nil)
	req.SetBasicAuth("ops", harness.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(body)), "<html") {
		t.Errorf("admin token: %d %.200s", resp.StatusCode, body)
	}
	code, body2 := get(t, b.URL+"/admin/queues/api/queues", http.Header{"Authorization": {"Bearer " + harness.AdminToken}})
	if code != 200 || !strings.Contains(body2, "default") {
		t.Errorf("queue API: %d %.300s", code, body2)
	}
}

// One stalled vCenter gets at most its bound of concurrent tasks, and a task for another
// provider still runs at once instead of queueing behind it.
func TestSlowProviderCannotStarveOthers(t *testing.T) {
	const bound = 2
	b := harness.Start(t, harness.Options{Simulators: 2, Proxied: true, Tune: func(c *config.Config) {
		c.Worker.Concurrency = 4
		for i := range c.Providers {
			c.Providers[i].MaxConcurrency = bound
		}
	}})
	slowVMs, fastVM := b.VMIDs(t, "vc1"), b.VMIDs(t, "vc2")[0]
	ctx := context.Background()
	bk := b.App.Broker()
	b.Proxies[0].SetDelay(time.Second)
	b.Proxies[0].ResetMax()

	var slow []string
	for i := range 8 {
		task, err := bk.SubmitDiskInfo(ctx, model.System, slowVMs[i%len(slowVMs)], "")
		if err != nil {
			t.Fatal(err)
		}
		slow = append(slow, task.ID)
	}
	time.Sleep(200 * time.Millisecond) // let the slow tasks take what they can
	t0 := time.Now()
	task, err := bk.SubmitDiskInfo(ctx, model.System, fastVM, "")
	if err != nil {
		t.Fatal(err)
	}
	done, err := bk.Wait(ctx, model.System, task.ID)
	if err != nil || done.State != broker.TaskSucceeded {
		t.Fatalf("fast provider's task: %v %+v", err, done.Err)
	}
	fastTook := time.Since(t0)
	var wg sync.WaitGroup
	for _, id := range slow {
		wg.Go(func() {
			if tk, err := bk.Wait(ctx, model.System, id); err != nil || tk.State != broker.TaskSucceeded {
				t.Errorf("slow task %s: %v %s", id, err, tk.State)
			}
		})
	}
	wg.Wait()
	slowTook := time.Since(t0)
	// The bound is on tasks; the provider's inventory watch holds one more request (its
	// long poll for changes) outside it.
	if got := b.Proxies[0].MaxInFlight(); got > bound+1 {
		t.Errorf("stalled vCenter saw %d concurrent requests, bound is %d tasks + 1 watch", got, bound)
	}
	// Ratio, not wall-clock: the other provider's task finished long before the slow batch.
	if fastTook*4 > slowTook {
		t.Errorf("fast provider's task took %s while the slow batch took %s: it waited behind them", fastTook, slowTook)
	}
	t.Logf("fast provider's task %s; 8 tasks on the stalled one %s; max concurrent on the stalled one %d", fastTook, slowTook, b.Proxies[0].MaxInFlight())
}

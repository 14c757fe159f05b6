package zstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/client"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/param"

	"cloudbroker/cmd/app"
	"cloudbroker/config"
	"cloudbroker/test/harness"
)

// The broker process is one management node: listed with its uuid, host name and dates, by
// raw query and by the SDK.
func TestQueryManagementNode(t *testing.T) {
	b := startBroker(t, brokerOpts{noWorker: true})
	admin := login(t, b, "admin", adminPass)
	self := b.App.NodeID()

	res := call(t, b, http.MethodGet, "/zstack/v1/management-nodes", admin, nil)
	if res.Code != http.StatusOK {
		t.Fatalf("QueryManagementNode: %d %s", res.Code, res.Body)
	}
	goldenJSON(t, "management_nodes", []byte(strings.ReplaceAll(string(res.Body), hostNameOf(t), "HOSTNAME")))

	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"by uuid", "/zstack/v1/management-nodes/" + self, []string{self}},
		{"q=uuid", "/zstack/v1/management-nodes?q=uuid=" + self, []string{self}},
		{"unknown uuid", "/zstack/v1/management-nodes/0123456789abcdef0123456789abcdef", nil},
		{"q=hostName", "/zstack/v1/management-nodes?q=hostName=" + hostNameOf(t), []string{self}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := call(t, b, http.MethodGet, tc.path, admin, nil)
			var got struct{ Inventories []struct{ UUID string } }
			res.json(t, &got)
			var ids []string
			for _, n := range got.Inventories {
				ids = append(ids, n.UUID)
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("%s: %d (-want +got):\n%s", tc.path, res.Code, diff)
			}
		})
	}

	cli := sdkClient(t, b, "admin", adminPass)
	nodes, err := cli.QueryManagementNode(param.NewQueryParam())
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 1 || nodes[0].UUID != self || nodes[0].HostName != hostNameOf(t) ||
		nodes[0].JoinDate.IsZero() || nodes[0].HeartBeat.Before(nodes[0].JoinDate) {
		t.Errorf("SDK QueryManagementNode = %+v, want node %s on %s with joinDate <= heartBeat", nodes, self, hostNameOf(t))
	}
}

func hostNameOf(t *testing.T) string {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// GetVersion works through the SDK (which sends its session: a job, as every API) and, as the
// manual's curl does, without a session: then it answers 200 with the version at once, keeps
// no job, and api-jobs without a session finds nothing, not even a session's job.
func TestGetVersion(t *testing.T) {
	b := startBroker(t, brokerOpts{noWorker: true})
	cli := sdkClient(t, b, "admin", adminPass)
	v, err := cli.GetVersion()
	if err != nil {
		t.Fatalf("SDK GetVersion: %v", err)
	}
	if v != app.Version || v == "" {
		t.Errorf("SDK GetVersion = %q, want %q", v, app.Version)
	}

	res := call(t, b, http.MethodPut, "/zstack/v1/management-nodes/actions", "", `{"getVersion":{},"systemTags":[],"userTags":[]}`)
	if res.Code != http.StatusOK {
		t.Fatalf("GetVersion without a session: %d %s, want 200", res.Code, res.Body)
	}
	goldenJSON(t, "get_version", []byte(strings.Replace(string(res.Body), `"`+app.Version+`"`, `"VERSION"`, 1)))

	// A job made with a session is not readable without one.
	admin := login(t, b, "admin", adminPass)
	res = call(t, b, http.MethodPut, "/zstack/v1/management-nodes/actions", admin, `{"getVersion":{}}`)
	if res.Code != http.StatusAccepted {
		t.Fatalf("GetVersion with a session: %d %s, want 202", res.Code, res.Body)
	}
	var loc struct{ Location string }
	res.json(t, &loc)
	if got := pollJob(t, b, "", loc.Location); got.Code != http.StatusNotFound {
		t.Errorf("a session's job polled without a session: %d %s, want 404", got.Code, got.Body)
	}
	if got := pollJob(t, b, admin, loc.Location); got.Code != http.StatusOK {
		t.Errorf("a session's job polled with it: %d %s", got.Code, got.Body)
	}
	// A wrong session is still refused, not taken for no session.
	if got := call(t, b, http.MethodPut, "/zstack/v1/management-nodes/actions", "0123456789abcdef0123456789abcdef", `{"getVersion":{}}`); got.Code != http.StatusServiceUnavailable {
		t.Errorf("GetVersion with an unknown session: %d %s, want 503", got.Code, got.Body)
	}
}

// The SDK reads the session-less answer (200 with the result, no location) as it reads a
// finished job: its GetVersion, sent through a proxy that drops the session headers (the SDK
// always sends one), gets the version.
func TestGetVersionSDKWithoutSession(t *testing.T) {
	b := startBroker(t, brokerOpts{noWorker: true})
	var stripped atomic.Int64
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.Out.URL = r.In.URL // a forward proxy: the request names its target
		if r.Out.Header.Get("Authorization") != "" {
			stripped.Add(1)
		}
		r.Out.Header.Del("Authorization")
		r.Out.Header.Del("X-Session-Id")
	}})
	t.Cleanup(proxy.Close)
	proxyURL, _ := url.Parse(proxy.URL)
	u, _ := url.Parse(b.URL)
	port, _ := strconv.Atoi(u.Port())
	cli := client.NewZSClient(client.NewZSConfig(u.Hostname(), port, "zstack").LoginAccount("admin", adminPass).
		RetryInterval(1).RetryTimes(2).ProxyFunc(func(*http.Request) (*url.URL, error) { return proxyURL, nil }))
	cli.LoadSession("0123456789abcdef0123456789abcdef") // any: the proxy drops it
	v, err := cli.GetVersion()
	if err != nil {
		t.Fatalf("SDK GetVersion without a session: %v", err)
	}
	if v != app.Version || stripped.Load() != 1 {
		t.Errorf("SDK GetVersion = %q after %d session-less requests, want %q after 1", v, stripped.Load(), app.Version)
	}
}

// GetCurrentTime answers this node's clock in milliseconds and seconds, at once without a
// session and through the job with one.
func TestGetCurrentTime(t *testing.T) {
	b := startBroker(t, brokerOpts{noWorker: true})
	admin := login(t, b, "admin", adminPass)
	for _, tc := range []struct{ name, session string }{{"no session", ""}, {"session", admin}} {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now().UnixMilli()
			got := call(t, b, http.MethodPut, "/zstack/v1/management-nodes/actions", tc.session, `{"getCurrentTime":{}}`)
			if tc.session != "" {
				if got.Code != http.StatusAccepted {
					t.Fatalf("GetCurrentTime: %d %s, want 202", got.Code, got.Body)
				}
				var loc struct{ Location string }
				got.json(t, &loc)
				got = pollJob(t, b, tc.session, loc.Location)
			}
			after := time.Now().UnixMilli()
			if got.Code != http.StatusOK {
				t.Fatalf("GetCurrentTime: %d %s", got.Code, got.Body)
			}
			var ct struct {
				CurrentTime struct {
					MillionSeconds int64
					Seconds        int64
				} `json:"currentTime"`
			}
			got.json(t, &ct)
			if ms := ct.CurrentTime.MillionSeconds; ms < before || ms > after || ct.CurrentTime.Seconds != ms/1000 {
				t.Errorf("currentTime = %+v, want ms in [%d, %d] and seconds = ms/1000", ct.CurrentTime, before, after)
			}
			masked := strings.NewReplacer(
				jsonNumber(ct.CurrentTime.MillionSeconds), `"MS"`, jsonNumber(ct.CurrentTime.Seconds), `"S"`).Replace(string(got.Body))
			goldenJSON(t, "get_current_time", []byte(masked))
		})
	}
}

// Session-less calls store nothing: a thousand GetVersion and GetCurrentTime calls leave the
// Redis key count as it was, and the job headers, which need a stored job, are refused.
func TestAnonymousStoresNothing(t *testing.T) {
	// No inventory: its watches would add task keys while the calls run, whatever they do. No
	// rate limit: the calls come faster than a session-less address may send them.
	b := startBroker(t, brokerOpts{noWorker: true, tune: func(c *config.Config) {
		c.Inventory.Enabled = new(false)
		c.HTTP.RateLimit.RPS = -1
	}})
	rdb := b.Redis.Client(t)
	ctx := context.Background()
	// Let start-up writes (heartbeats, gc jobs, inventory) settle: they rewrite keys, not add.
	time.Sleep(500 * time.Millisecond)
	before, err := rdb.DBSize(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		body := `{"getVersion":{}}`
		if i%2 == 1 {
			body = `{"getCurrentTime":{}}`
		}
		if res := call(t, b, http.MethodPut, "/zstack/v1/management-nodes/actions", "", body); res.Code != http.StatusOK {
			t.Fatalf("call %d: %d %s, want 200", i, res.Code, res.Body)
		}
	}
	after, err := rdb.DBSize(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		keys, _ := rdb.Keys(ctx, "*").Result()
		t.Errorf("Redis keys: %d before 1,000 anonymous calls, %d after, want no change; keys now: %v", before, after, keys)
	}

	for _, h := range []string{"X-Web-Hook", "X-Job-UUID"} {
		t.Run(h, func(t *testing.T) {
			val := "http://127.0.0.1:1/hook"
			if h == "X-Job-UUID" {
				val = "0123456789abcdef0123456789abcdef"
			}
			res := call(t, b, http.MethodPut, "/zstack/v1/management-nodes/actions", "", `{"getVersion":{}}`, h, val)
			want := h + ` needs a session`
			if res.Code != http.StatusBadRequest || !strings.Contains(string(res.Body), want) || !strings.Contains(string(res.Body), "SYS.1007") {
				t.Errorf("%d %s, want 400 SYS.1007 with %q", res.Code, res.Body, want)
			}
			// The poll of the chosen id finds nothing, with or without a session.
			admin := login(t, b, "admin", adminPass)
			for _, session := range []string{"", admin} {
				if got := call(t, b, http.MethodGet, "/zstack/v1/api-jobs/0123456789abcdef0123456789abcdef", session, nil); got.Code != http.StatusNotFound {
					t.Errorf("poll (session %q): %d %s, want 404", session, got.Code, got.Body)
				}
			}
		})
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// The actions body names exactly one known action.
func TestManagementNodeActionsRefused(t *testing.T) {
	b := startBroker(t, brokerOpts{noWorker: true})
	for _, tc := range []struct{ name, body, want string }{
		{"unknown", `{"getUptime":{}}`, `unknown action \"getUptime\" on management nodes; actions are getCurrentTime, getVersion`},
		{"none", `{"systemTags":[]}`, "the body names no action"},
		{"two", `{"getVersion":{},"getCurrentTime":{}}`, "names 2 actions"},
		{"empty", ``, `the body must name one action`},
		{"not JSON", `{`, "malformed JSON body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := call(t, b, http.MethodPut, "/zstack/v1/management-nodes/actions", "", tc.body)
			if res.Code != http.StatusBadRequest || !strings.Contains(string(res.Body), tc.want) {
				t.Errorf("%s: %d %s, want 400 with %q", tc.body, res.Code, res.Body, tc.want)
			}
		})
	}
	res := call(t, b, http.MethodPut, "/zstack/v1/management-nodes/actions", "", `{"getUptime":{}}`)
	goldenJSON(t, "management_node_action_unknown", res.Body)
}

// IsReadyToGo answers this node's uuid once every provider's inventory is synced, and a 503
// naming the provider while one is unreachable, to the callers that see that provider only.
func TestIsReadyToGo(t *testing.T) {
	b := harness.Start(t, harness.Options{Simulators: 2, Proxied: true, Tune: func(c *config.Config) {
		c.ZStack.Accounts = []config.ZStackAccount{{Name: "admin", PasswordSHA512: config.HashPassword(adminPass), AllProviders: true},
			{Name: "tenant-a", Password: passA, Providers: []string{"vc1"}},
			{Name: "tenant-b", Password: passB, Providers: []string{"vc2"}}}
		for i := range c.Providers {
			c.Providers[i].Options = map[string]string{"watch_max_wait": "1s"}
			c.Providers[i].Timeout = config.Duration(2 * time.Second)
		}
		c.Inventory.ScheduleInterval = config.Duration(200 * time.Millisecond)
	}})
	admin := login(t, b, "admin", adminPass)
	self := b.App.NodeID()
	ready := waitReady(t, b, admin, http.StatusOK, "")
	goldenJSON(t, "is_ready_to_go", ready.Body)
	var r struct{ ManagementNodeID string }
	ready.json(t, &r)
	if r.ManagementNodeID != self {
		t.Errorf("managementNodeId = %s, want this node %s", r.ManagementNodeID, self)
	}

	for _, tc := range []struct {
		name, query string
		code        int
		want        string
	}{
		{"this node", "?managementNodeId=" + self, http.StatusOK, self},
		{"no such node", "?managementNodeId=0123456789abcdef0123456789abcdef", http.StatusNotFound, "management node 0123456789abcdef0123456789abcdef is not running"},
		{"not a uuid", "?managementNodeId=node-1", http.StatusBadRequest, `managementNodeId \"node-1\" is not a uuid`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := call(t, b, http.MethodGet, "/zstack/v1/management-nodes/ready"+tc.query, admin, nil)
			if res.Code != tc.code || !strings.Contains(string(res.Body), tc.want) {
				t.Errorf("%d %s, want %d with %q", res.Code, res.Body, tc.code, tc.want)
			}
		})
	}

	b.Proxies[0].SetDown(true)
	down := waitReady(t, b, admin, http.StatusServiceUnavailable, `provider \"vc1\": unreachable`)
	if strings.Contains(string(down.Body), "vc2") {
		t.Errorf("not-ready answer names vc2, which is up: %s", down.Body)
	}
	goldenJSON(t, "is_ready_to_go_provider_down", maskProviderError(down.Body))
	// Readiness is per caller: vc1's outage is tenant-a's, and tenant-b neither waits for it
	// nor reads its name.
	tenantA, tenantB := login(t, b, "tenant-a", passA), login(t, b, "tenant-b", passB)
	if got := call(t, b, http.MethodGet, "/zstack/v1/management-nodes/ready", tenantA, nil); got.Code != http.StatusServiceUnavailable ||
		!strings.Contains(string(got.Body), `provider \"vc1\"`) || strings.Contains(string(got.Body), "vc2") {
		t.Errorf("tenant-a while vc1 is down: %d %s, want 503 naming vc1 only", got.Code, got.Body)
	}
	if got := call(t, b, http.MethodGet, "/zstack/v1/management-nodes/ready", tenantB, nil); got.Code != http.StatusOK ||
		strings.Contains(string(got.Body), "vc1") {
		t.Errorf("tenant-b while vc1 is down: %d %s, want 200 without vc1", got.Code, got.Body)
	}
	b.Proxies[0].SetDown(false)
	waitReady(t, b, admin, http.StatusOK, "")
}

// maskProviderError keeps the answer's shape and the provider's name, not the driver's words.
func maskProviderError(body []byte) []byte {
	var e struct {
		Error map[string]string `json:"error"`
	}
	json.Unmarshal(body, &e)
	d := e.Error["details"]
	if i := strings.Index(d, "unreachable: "); i >= 0 {
		e.Error["details"] = d[:i+len("unreachable: ")] + "DRIVER-ERROR"
	}
	out, _ := json.Marshal(e)
	return out
}

func waitReady(t *testing.T, b *harness.Broker, session string, code int, want string) response {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res := call(t, b, http.MethodGet, "/zstack/v1/management-nodes/ready", session, nil)
		if res.Code == code && strings.Contains(string(res.Body), want) {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("IsReadyToGo never answered %d with %q; last %d %s", code, want, res.Code, res.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

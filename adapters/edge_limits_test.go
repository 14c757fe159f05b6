package adapters_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/config"
	"cloudbroker/test/harness"
)

const (
	passA     = "tenant-a-password"
	passAlice = "alice-password"
)

// limitedBroker gives the tenant token 3 requests and no refill worth waiting for, tenant-a's
// ZStack sessions 2, and a login throttle of 3 free attempts; everyone else (the admin token
// for the test's own reads, session-less callers) has the default rate.
func limitedBroker(t *testing.T, o harness.Options) *harness.Broker {
	tune := o.Tune
	o.Tune = func(c *config.Config) {
		c.Auth.Tokens[1].Rate = &config.RateLimit{RPS: 0.001, Burst: 3} // harness.TenantToken
		c.Auth.LoginThrottle = config.LoginThrottle{FreeAttempts: 3, BaseDelay: config.Duration(20 * time.Second), MaxDelay: config.Duration(time.Minute)}
		c.ZStack.Accounts = []config.ZStackAccount{
			{Name: "tenant-a", Password: passA, Providers: []string{"vc1"}, Rate: &config.RateLimit{RPS: 0.001, Burst: 2},
				Users: []config.ZStackUser{{Name: "alice", Password: passAlice}}},
		}
		if tune != nil {
			tune(c)
		}
	}
	return harness.Start(t, o)
}

// answer is one request's outcome as the limits test compares it.
type answer struct {
	Code       int
	RetryAfter bool
	Vendor     string // errcode, errno or the ZStack code
}

func vendorCode(t *testing.T, body []byte) string {
	t.Helper()
	var v struct {
		Errcode *string
		Errno   *int
		Error   *struct{ Code string }
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	switch {
	case v.Errcode != nil:
		return *v.Errcode
	case v.Errno != nil:
		return strconv.Itoa(*v.Errno)
	case v.Error != nil:
		return v.Error.Code
	}
	return ""
}

func send(t *testing.T, b *harness.Broker, method, path string, body any, header ...string) answer {
	t.Helper()
	code, h, out := b.Request(t, method, path, body, header...)
	a := answer{Code: code, RetryAfter: h.Get("Retry-After") != ""}
	if code >= 300 {
		a.Vendor = vendorCode(t, out)
	}
	if a.RetryAfter {
		if s, err := strconv.Atoi(h.Get("Retry-After")); err != nil || s < 1 {
			t.Errorf("%s %s: Retry-After %q is not whole seconds >= 1", method, path, h.Get("Retry-After"))
		}
	}
	return a
}

func zstackLogin(account, password string) map[string]any {
	return map[string]any{"logInByAccount": map[string]string{"accountName": account, "password": config.HashPassword(password)}}
}

// A caller's rate holds on every dialect, in the dialect's own shape with Retry-After, and
// every refusal is counted: a token shares one bucket between vcproxy and DiDi, a ZStack
// session is limited by its account, and logins are throttled per account and per address.
func TestRateLimitsOnEveryDialect(t *testing.T) {
	b := limitedBroker(t, harness.Options{})
	tenant := harness.Bearer(harness.TenantToken)
	var got []answer
	for range 3 { // the token's burst, spent on vcproxy
		got = append(got, send(t, b, http.MethodPost, "/api/vm/list", nil, tenant...))
	}
	got = append(got,
		send(t, b, http.MethodPost, "/api/vm/list", nil, tenant...),
		send(t, b, http.MethodPost, "/dicloud/i/storage/cimg/list", map[string]any{"regionId": "region-1", "limit": 10}, tenant...))
	want := []answer{{Code: 200}, {Code: 200}, {Code: 200},
		{Code: 429, RetryAfter: true, Vendor: "429"}, // vcproxy
		{Code: 429, RetryAfter: true, Vendor: "3"},   // DiDi: the same token, the same bucket
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("token limits (-want +got):\n%s", diff)
	}

	// ZStack: the session's account has a burst of 2; logging in is not a request of the session.
	code, _, out := b.Request(t, http.MethodPut, "/zstack/v1/accounts/login", zstackLogin("tenant-a", passA))
	if code != 200 {
		t.Fatalf("login: %d %s", code, out)
	}
	var s struct{ Inventory struct{ UUID string } }
	json.Unmarshal(out, &s)
	session := []string{"Authorization", "OAuth " + s.Inventory.UUID}
	got = nil
	for range 3 {
		got = append(got, send(t, b, http.MethodGet, "/zstack/v1/vm-instances?limit=1", nil, session...))
	}
	want = []answer{{Code: 200}, {Code: 200}, {Code: 503, RetryAfter: true, Vendor: "SYS.1006"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ZStack session limit (-want +got):\n%s", diff)
	}

	// Login: 3 wrong passwords are answered as such, then even the right one waits.
	got = nil
	for range 3 {
		got = append(got, send(t, b, http.MethodPut, "/zstack/v1/accounts/login", zstackLogin("tenant-a", "guess")))
	}
	got = append(got, send(t, b, http.MethodPut, "/zstack/v1/accounts/login", zstackLogin("tenant-a", passA)))
	want = []answer{{Code: 503, Vendor: "ID.1000"}, {Code: 503, Vendor: "ID.1000"}, {Code: 503, Vendor: "ID.1000"},
		{Code: 503, RetryAfter: true, Vendor: "SYS.1006"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("login throttle per account (-want +got):\n%s", diff)
	}

	_, metrics := b.Do(t, http.MethodGet, "/metrics", "", nil)
	for _, series := range []string{
		`cloudbroker_rate_limited_total{caller="tenant",dialect="vcproxy"} 1`,
		`cloudbroker_rate_limited_total{caller="tenant",dialect="didi"} 1`,
		`cloudbroker_rate_limited_total{caller="zstack:tenant-a",dialect="zstack"} 1`,
		`cloudbroker_rate_limited_total{caller="login",dialect="zstack"} 1`,
	} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + `$`).Match(metrics) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
}

// The client address has its own count: guessing one password for many accounts (names that
// exist or not) from one address meets the delay too. The count is in Redis, so a second
// replica on the same Redis refuses the same address at once.
func TestLoginThrottlePerAddressAcrossReplicas(t *testing.T) {
	a := limitedBroker(t, harness.Options{})
	b := limitedBroker(t, harness.Options{Redis: a.Redis, Sims: a.Sims})
	var got []answer
	for _, name := range []string{"tenant-a", "nobody", "admin"} {
		got = append(got, send(t, a, http.MethodPut, "/zstack/v1/accounts/login", zstackLogin(name, "guess")))
	}
	got = append(got,
		send(t, b, http.MethodPut, "/zstack/v1/accounts/login", zstackLogin("someone-else", "guess")),
		send(t, b, http.MethodPut, "/zstack/v1/accounts/users/login", map[string]any{"logInByUser": map[string]string{
			"accountName": "tenant-a", "userName": "alice", "password": config.HashPassword(passAlice)}}))
	want := []answer{{Code: 503, Vendor: "ID.1000"}, {Code: 503, Vendor: "ID.1000"}, {Code: 503, Vendor: "ID.1000"},
		{Code: 503, RetryAfter: true, Vendor: "SYS.1006"}, {Code: 503, RetryAfter: true, Vendor: "SYS.1006"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("login throttle per address (-want +got):\n%s", diff)
	}
}

const adminPassword = "admin-password"

// zstackAdmin adds a see-all ZStack account.
func zstackAdmin(c *config.Config) {
	c.ZStack.Accounts = []config.ZStackAccount{{Name: "admin", Password: adminPassword, AllProviders: true}}
}

// zstackSession logs the admin account in and returns its Authorization header.
func zstackSession(t *testing.T, b *harness.Broker) []string {
	t.Helper()
	code, _, out := b.Request(t, http.MethodPut, "/zstack/v1/accounts/login", zstackLogin("admin", adminPassword))
	if code != 200 {
		t.Fatalf("login: %d %s", code, out)
	}
	var s struct{ Inventory struct{ UUID string } }
	json.Unmarshal(out, &s)
	return []string{"Authorization", "OAuth " + s.Inventory.UUID}
}

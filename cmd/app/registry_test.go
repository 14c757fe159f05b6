package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"

	"cloudbroker/adapters"
	"cloudbroker/broker/model"
	"cloudbroker/cmd/app"
	"cloudbroker/config"
	"cloudbroker/drivers"
	"cloudbroker/test/harness"
)

// A dialect and a driver are each one registration: nothing else in the process names them.
func init() {
	app.RegisterDialect(app.Dialect{Name: "fake", Prefix: "/fake", Mount: mountFake, Unrouted: fakeUnrouted})
	drivers.RegisterOpener("fakecloud", openFakeCloud, drivers.Hypervisor(drivers.HypervisorESX))
}

// fakeDialect answers GET /fake/whoami with its caller and request id.
type fakeDialect struct{ tokens adapters.Tokens }

func mountFake(m app.Mount) app.Hooks {
	d := fakeDialect{tokens: app.Tokens(m.App.Config())}
	m.Router.GET("/fake/whoami", m.Edge.Guard(d), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"caller": adapters.CallerOf(c).Name, "requestId": adapters.RequestID(c)})
	})
	return app.Hooks{}
}

func (fakeDialect) Name() string { return "fake" }

func (d fakeDialect) Authenticate(c *gin.Context) (model.Caller, error) {
	return d.tokens.Bearer(c.Request)
}

func (fakeDialect) WriteError(c *gin.Context, err error, msg string) {
	code := http.StatusBadRequest
	switch {
	case errors.Is(err, model.ErrUnauthorized):
		code = http.StatusUnauthorized
	case errors.Is(err, model.ErrRateLimited):
		code = http.StatusTooManyRequests
	}
	c.JSON(code, gin.H{"fakeError": msg})
}

func fakeUnrouted(c *gin.Context, code int) { c.JSON(code, gin.H{"fakeError": "no such fake API"}) }

// fakeCloud is a driver's connection that can clone.
type fakeCloud struct{}

func openFakeCloud(context.Context, drivers.Config) (*fakeCloud, error) { return &fakeCloud{}, nil }
func (*fakeCloud) Ping(context.Context) error                           { return nil }
func (*fakeCloud) Close() error                                         { return nil }
func (*fakeCloud) Clone(context.Context, string, drivers.CloneSpec) (model.VM, error) {
	return model.VM{}, nil
}

// The fake dialect is served through the edge (authentication, request id, rate limit), its
// route is listed and its requests are counted under its name; unknown paths under its prefix
// answer in its shape. The fake driver's capabilities reach ZStack's licence.
func TestOneRegistrationServesADialectAndADriver(t *testing.T) {
	const token = "fake-token-0123456789"
	b := harness.Start(t, harness.Options{NoWorker: true, Tune: func(c *config.Config) {
		c.Providers = []config.Provider{{Name: "fake1", Driver: "fakecloud", URL: "fake://"}}
		c.Auth.Tokens = []config.Token{{Name: "faker", Token: token, AllProviders: true, Rate: &config.RateLimit{RPS: 0.001, Burst: 1}}}
		c.ZStack.Accounts = []config.ZStackAccount{{Name: "admin", PasswordSHA512: config.HashPassword("pw"), AllProviders: true}}
	}})

	code, header, body := b.Request(t, http.MethodGet, "/fake/whoami", nil, harness.Bearer(token)...)
	want := `{"caller":"faker","requestId":"` + header.Get("X-Request-Id") + `"}`
	if diff := cmp.Diff(want, string(body)); code != http.StatusOK || diff != "" {
		t.Errorf("GET /fake/whoami: %d (-want +got):\n%s", code, diff)
	}
	for _, tc := range []struct {
		name, path, token string
		code              int
		body              string
	}{
		{"rate limited", "/fake/whoami", token, http.StatusTooManyRequests, `{"fakeError":"rate limit of \"faker\" exceeded`},
		{"no credentials", "/fake/whoami", "", http.StatusUnauthorized, `{"fakeError":`},
		{"unrouted", "/fake/nothing", token, http.StatusNotFound, `{"fakeError":"no such fake API"}`},
	} {
		code, body := b.Do(t, http.MethodGet, tc.path, tc.token, nil)
		if code != tc.code || !strings.HasPrefix(string(body), tc.body) {
			t.Errorf("%s: %d %s, want %d %s...", tc.name, code, body, tc.code, tc.body)
		}
	}

	var listed bool
	for _, r := range b.App.Routes() {
		listed = listed || r.Method+" "+r.Path == "GET /fake/whoami"
	}
	if !listed {
		t.Error("GET /fake/whoami is not in app.Routes")
	}
	if _, metrics := b.Do(t, http.MethodGet, "/metrics", "", nil); !strings.Contains(string(metrics), `dialect="fake",method="GET",route="/fake/whoami",status="200"`) {
		t.Error("/metrics counts no fake request under dialect=\"fake\"")
	}

	if !drivers.Can[drivers.Cloner]("fakecloud") {
		t.Error("drivers.Can: the fake driver cannot clone")
	}
	code, body = b.Do(t, http.MethodPut, "/zstack/v1/accounts/login", "", map[string]any{
		"logInByAccount": map[string]string{"accountName": "admin", "password": config.HashPassword("pw")}})
	var session struct{ Inventory struct{ UUID string } }
	if err := json.Unmarshal(body, &session); err != nil || code != http.StatusOK {
		t.Fatalf("zstack login: %d %s", code, body)
	}
	code, _, body = b.Request(t, http.MethodGet, "/zstack/v1/licenses/capabilities", nil, "Authorization", "OAuth "+session.Inventory.UUID)
	var caps struct{ Capabilities map[string]string }
	if err := json.Unmarshal(body, &caps); err != nil || code != http.StatusOK {
		t.Fatalf("licence capabilities: %d %s", code, body)
	}
	if caps.Capabilities["clonevm"] != "true" || caps.Capabilities["vmware"] != "true" {
		t.Errorf("licence capabilities with only the fake provider: clonevm %s, vmware %s; want both true",
			caps.Capabilities["clonevm"], caps.Capabilities["vmware"])
	}
}

// A second registration of a name or of a prefix (or one below another's) panics, as
// database/sql.Register does, and so does one missing a part.
func TestRegisterDialectPanicsOnDuplicates(t *testing.T) {
	for _, d := range []app.Dialect{
		{Name: "fake", Prefix: "/other", Mount: mountFake, Unrouted: fakeUnrouted},
		{Name: "fake2", Prefix: "/zstack", Mount: mountFake, Unrouted: fakeUnrouted},
		{Name: "fake3", Prefix: "/fake/v2", Mount: mountFake, Unrouted: fakeUnrouted},
		{Name: "fake4", Prefix: "/fake4/", Mount: mountFake, Unrouted: fakeUnrouted},
		{Name: "fake5", Prefix: "/fake5", Unrouted: fakeUnrouted},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterDialect(%s at %q) did not panic", d.Name, d.Prefix)
				}
			}()
			app.RegisterDialect(d)
		}()
	}
}

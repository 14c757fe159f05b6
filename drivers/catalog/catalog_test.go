package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/drivers"
	"cloudbroker/drivers/catalog"
	"cloudbroker/drivers/drivertest"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/harness"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// upstream is a broker whose vc1 (region bj) has three templates.
func upstream(t *testing.T, o harness.Options) *harness.Broker {
	t.Helper()
	tune := o.Tune
	o.Tune = func(c *config.Config) {
		c.Providers[0].Region, c.Providers[0].Zones = "bj", []string{"bj01"}
		if tune != nil {
			tune(c)
		}
	}
	o.Templates = map[int][]vcsim.Template{0: {
		{Name: "北京02", GuestID: "centos7_64Guest", Annotation: "base image", DiskBytes: 8 << 30},
		{Name: "tpl-ubuntu", GuestID: "ubuntu64Guest"},
		{Name: "tpl-win", GuestID: "windows2019srv_64Guest"},
	}}
	return harness.Start(t, o)
}

func config_(url, token, region string) drivers.Config {
	return drivers.Config{Name: "up", URL: url, Password: token, Timeout: 10 * time.Second,
		Options: map[string]string{catalog.OptRegion: region}}
}

// The driver passes the conformance suite against a real broker's DiDi endpoint.
func TestConformance(t *testing.T) {
	a := upstream(t, harness.Options{})
	drivertest.Run(t, drivertest.Fixture{
		Open: func(t *testing.T) drivers.Conn {
			c, err := drivers.Open(ctx(t), catalog.DriverName, config_(a.URL, harness.AdminToken, "bj"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			return c
		},
		Require: []string{"ImageCatalog"},
	})
}

// The driver reads every page and maps each item onto the model the way the dialect renders it.
func TestListImagesPages(t *testing.T) {
	a := upstream(t, harness.Options{})
	cfg := config_(a.URL+"/", harness.AdminToken, "bj") // a trailing slash is fine
	cfg.Options[catalog.OptPageSize] = "2"
	c, err := catalog.Open(ctx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	imgs, err := c.ListImages(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name, OSFamily, OSVersion, Description string
		SizeBytes                              int64
		Created                                bool
	}
	var got []row
	for _, im := range imgs {
		if im.Provider != "up" || !broker.IsUUID(im.NativeID) || im.MediaType != "RootVolumeTemplate" || im.Status != "Ready" {
			t.Errorf("image %+v: want provider up, the catalog's uuid as native id, a ready root volume template", im)
		}
		got = append(got, row{im.Name, im.OSFamily, im.OSVersion, im.Description, im.SizeBytes, !im.CreatedAt.IsZero()})
	}
	want := []row{
		{"tpl-ubuntu", "Ubuntu", "", "", 10 << 30, true},
		{"tpl-win", "Windows", "Server 2019", "", 10 << 30, true},
		{"北京02", "CentOS", "7", "base image", 8 << 30, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
}

// Broker B federates broker A through the catalog driver: B's DiDi answer for its catalog
// provider's region holds A's images, field for field, under B's ids, region and storage.
func TestTwoBrokers(t *testing.T) {
	var aLog lockedBuffer
	a := upstream(t, harness.Options{Log: &aLog})
	b := harness.Start(t, harness.Options{Tune: func(c *config.Config) {
		c.Providers = append(c.Providers, config.Provider{
			Name: "upstream", Driver: catalog.DriverName, URL: a.URL, Password: harness.AdminToken,
			Region: "fed", Zones: []string{"fed-1"},
			Options: map[string]string{catalog.OptRegion: "bj", catalog.OptPageSize: "1"},
		})
	}})

	aItems := items(t, a, map[string]any{"regionId": "bj", "limit": 100})
	callsBefore := strings.Count(aLog.String(), "path=/dicloud/i/storage/cimg/list")
	bItems := items(t, b, map[string]any{"regionId": "fed", "limit": 100})
	if calls := strings.Count(aLog.String(), "path=/dicloud/i/storage/cimg/list") - callsBefore; calls < len(aItems) {
		t.Errorf("B made %d calls to A for %d images with page_size 1: want one per page at least", calls, len(aItems))
	}

	if len(aItems) != 3 {
		t.Fatalf("A lists %d images, want 3", len(aItems))
	}
	var want []map[string]any
	for _, it := range aItems {
		uuid := broker.ImageUUID("upstream", it["cimgUuid"].(string))
		it["cimgUuid"] = uuid
		it["regions"] = []any{"fed"}
		it["zones"] = []any{"fed-1"}
		bs := it["backupStorages"].([]any)[0].(map[string]any)
		bs["name"], bs["type"], bs["zone"] = "upstream", "catalog", "fed-1"
		delete(bs, "bsUuid")
		delete(it, "cimgId") // derived from the uuid
		want = append(want, it)
	}
	for _, it := range bItems {
		if !broker.IsUUID(it["cimgUuid"].(string)) {
			t.Errorf("B's cimgUuid %v is not a broker uuid", it["cimgUuid"])
		}
		delete(it["backupStorages"].([]any)[0].(map[string]any), "bsUuid")
		delete(it, "cimgId")
	}
	if diff := cmp.Diff(want, bItems); diff != "" {
		t.Errorf("B's items vs A's (-want +got):\n%s", diff)
	}

	// The other way round: B's regionId is B's, not A's.
	r := post(t, b, map[string]any{"regionId": "bj", "limit": 1})
	if r.code != http.StatusNotFound {
		t.Errorf("B asked for A's region: HTTP %d %s, want 404 unknown region", r.code, r.body)
	}
}

// The driver's errors say which endpoint failed and why, with the sentinel the broker retries
// (or not) by, and never the token.
func TestErrors(t *testing.T) {
	a := harness.Start(t, harness.Options{Simulators: 3, Templates: map[int][]vcsim.Template{1: {{Name: "tpl-half", GuestID: "centos7_64Guest"}}}, Tune: func(c *config.Config) {
		c.Providers[0].Region = "bj"
		c.Providers[1].Region, c.Providers[2].Region = "half", "half"
		none := 0
		c.Tasks.MaxRetry = &none
	}})
	a.Sims[2].Close() // region half: vc2 answers with an image, vc3 does not answer

	down := harness.Start(t, harness.Options{Tune: func(c *config.Config) {
		c.Providers[0].Region = "down"
		none := 0
		c.Tasks.MaxRetry = &none
	}})
	down.Sims[0].Close()

	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if strings.Contains(r.Header.Get("Authorization"), "proxy-502") {
			w.WriteHeader(http.StatusBadGateway)
		}
		io.WriteString(w, "<html><body>Welcome to nginx!</body></html>")
	}))
	defer html.Close()
	// A DiDi gateway may answer errors with HTTP 200: the errno decides.
	didi200 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"errno":4,"errmsg":"认证错误/AccessDenied","requestId":"645ae9255b6400b42ae6b47903036302","data":[]}`)
	}))
	defer didi200.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	refused := closedAddr(t)

	for _, tc := range []struct {
		name    string
		cfg     drivers.Config
		wantErr error // nil: no sentinel ("internal")
		wantMsg string
	}{
		{"wrong token", config_(a.URL, "wrong-token-0123456789", "bj"), model.ErrUnauthorized, "errno 4: invalid token"},
		{"unknown region", config_(a.URL, harness.AdminToken, "gz"), model.ErrNotFound, `errno 16000002: region "gz"`},
		{"not a DiDi path", config_(a.URL+"/v2", harness.AdminToken, "bj"), model.ErrNotFound, "HTTP 404, application/json: not a DiDi JSON answer"},
		{"every provider down: 503", config_(down.URL, harness.AdminToken, "down"), model.ErrUnavailable, "HTTP 503, errno 2"},
		{"some providers down", config_(a.URL, harness.AdminToken, "half"), model.ErrUnavailable, "could not list all its providers (vc3: "},
		{"connection refused", config_("http://"+refused, "a-token-0123456789", "bj"), model.ErrUnavailable, "connection refused"},
		{"not JSON", config_(html.URL, "a-token-0123456789", "bj"), nil, "HTTP 200, text/html: not JSON"},
		{"errno with HTTP 200", config_(didi200.URL, "a-token-0123456789", "bj"), model.ErrUnauthorized, "HTTP 200, errno 4: 认证错误/AccessDenied (requestId 645ae9255b6400b42ae6b47903036302)"},
		{"proxy error page", config_(html.URL, "proxy-502-0123456789", "bj"), model.ErrUnavailable, "HTTP 502, text/html"},
		{"no answer in time", func() drivers.Config {
			c := config_(slow.URL, "a-token-0123456789", "bj")
			c.Timeout = 200 * time.Millisecond
			return c
		}(), model.ErrUnavailable, "no answer within 200ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := catalog.Open(ctx(t), tc.cfg)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) || tc.wantErr == nil && model.KindOf(err) != "internal" {
				t.Errorf("error %v: want kind %v", err, tc.wantErr)
			}
			endpoint := strings.TrimSuffix(tc.cfg.URL, "/") + catalog.ListPath
			if !strings.Contains(err.Error(), tc.wantMsg) || !strings.Contains(err.Error(), endpoint) {
				t.Errorf("error %q: want it to name %s and say %q", err, endpoint, tc.wantMsg)
			}
			if strings.Contains(err.Error(), tc.cfg.Password) {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	base := config_("https://catalog.example", "tok-0123456789", "bj")
	for _, tc := range []struct {
		name    string
		change  func(*drivers.Config)
		wantMsg string
	}{
		{"no region", func(c *drivers.Config) { delete(c.Options, catalog.OptRegion) }, "options.region is required"},
		{"no token", func(c *drivers.Config) { c.Password = "" }, "no token"},
		{"two different tokens", func(c *drivers.Config) { c.Options[catalog.OptToken] = "other-0123456789" }, "set one"},
		{"not http", func(c *drivers.Config) { c.URL = "ftp://catalog.example" }, "not an http(s) base URL"},
		{"no host", func(c *drivers.Config) { c.URL = "https:///x" }, "not an http(s) base URL"},
		{"query in URL", func(c *drivers.Config) { c.URL = "https://catalog.example/?token=x" }, "must not carry a query"},
		{"unknown option", func(c *drivers.Config) { c.Options["datacenter"] = "DC0" }, `unknown option "datacenter"`},
		{"page size", func(c *drivers.Config) { c.Options[catalog.OptPageSize] = "500" }, "page_size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			cfg.Options = map[string]string{catalog.OptRegion: "bj"}
			tc.change(&cfg)
			_, err := catalog.Open(ctx(t), cfg)
			if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("Open: %v, want an invalid-config error saying %q", err, tc.wantMsg)
			}
		})
	}
	// The token may be given as an option instead of the password.
	a := harness.Start(t, harness.Options{Tune: func(c *config.Config) { c.Providers[0].Region = "bj" }})
	cfg := config_(a.URL, "", "bj")
	cfg.Options[catalog.OptToken] = harness.AdminToken
	c, err := catalog.Open(ctx(t), cfg)
	if err != nil {
		t.Fatalf("token in options: %v", err)
	}
	c.Close()
	if _, err := c.ListImages(ctx(t)); err == nil {
		t.Error("ListImages after Close succeeded")
	}
}

type response struct {
	code int
	body []byte
}

func post(t *testing.T, b *harness.Broker, body any) response {
	t.Helper()
	buf, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx(t), http.MethodPost, b.URL+catalog.ListPath, bytes.NewReader(buf))
	req.Header.Set("Authorization", "Bearer "+harness.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, out}
}

// items lists a broker's images through its DiDi endpoint, as generic JSON.
func items(t *testing.T, b *harness.Broker, body any) []map[string]any {
	t.Helper()
	r := post(t, b, body)
	var a struct {
		Errno int
		Data  struct {
			Count int
			Items []map[string]any
		}
	}
	if err := json.Unmarshal(r.body, &a); err != nil || r.code != http.StatusOK || a.Errno != 0 {
		t.Fatalf("HTTP %d: %s", r.code, r.body)
	}
	if a.Data.Count != len(a.Data.Items) {
		t.Fatalf("count %d for %d items: %s", a.Data.Count, len(a.Data.Items), r.body)
	}
	return a.Data.Items
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

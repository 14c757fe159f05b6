package console_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/test/harness"
)

type overview struct {
	Caller    string
	Providers []struct{ Name, SyncState string }
	Tasks     []struct{ ID, Type, State, Provider string }
}

func getOverview(t *testing.T, b *harness.Broker, token string) overview {
	t.Helper()
	code, body := b.Do(t, http.MethodGet, "/ui/api/overview", token, nil)
	if code != http.StatusOK {
		t.Fatalf("overview: %d %s", code, body)
	}
	var o overview
	if err := json.Unmarshal(body, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// The console's API answers each token for its providers only, refuses a request without one
// in its own shape, and searches VMs in QueryVmInstance's language (its errors included).
func TestConsoleAPIScope(t *testing.T) {
	b := harness.Start(t, harness.Options{Simulators: 2})
	b.WaitSynced(t)
	vc2VM := b.VMIDs(t, "vc2")[0]
	code, body := b.Post(t, "/ui/api/vms/"+vc2VM+"/clone", harness.AdminToken, map[string]any{"names": []string{"admin-clone"}})
	if code != http.StatusOK {
		t.Fatalf("admin's clone: %d %s", code, body)
	}
	var started struct{ Task struct{ ID string } }
	_ = json.Unmarshal(body, &started)

	admin, tenant := getOverview(t, b, harness.AdminToken), getOverview(t, b, harness.TenantToken)
	names := func(o overview) []string {
		var out []string
		for _, p := range o.Providers {
			out = append(out, p.Name)
		}
		return out
	}
	if diff := cmp.Diff([]string{"vc1", "vc2"}, names(admin)); diff != "" {
		t.Errorf("admin's providers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"vc1"}, names(tenant)); diff != "" {
		t.Errorf("tenant's providers (-want +got):\n%s", diff)
	}
	if !slices.ContainsFunc(admin.Tasks, func(x struct{ ID, Type, State, Provider string }) bool { return x.ID == started.Task.ID }) {
		t.Errorf("admin's recent tasks lack its clone %s: %+v", started.Task.ID, admin.Tasks)
	}
	if len(tenant.Tasks) != 0 {
		t.Errorf("the tenant sees tasks on vc2: %+v", tenant.Tasks)
	}

	for _, c := range []struct {
		name, path, token string
		code              int
		has               string
	}{
		{"no token", "/ui/api/overview", "", http.StatusUnauthorized, `"kind":"unauthorized"`},
		{"another tenant's task", "/ui/api/tasks/" + started.Task.ID, harness.TenantToken, http.StatusNotFound, "not found"},
		{"another tenant's VM by uuid", "/ui/api/vms?q=uuid=" + vc2VM, harness.TenantToken, http.StatusOK, `"total":0`},
		{"a search", "/ui/api/vms?q=name=DC0_H0_VM0&q=state=Running", harness.TenantToken, http.StatusOK, `"total":1`},
		{"a condition without operator", "/ui/api/vms?q=name", harness.TenantToken, http.StatusBadRequest, "no operator"},
		{"an unknown field", "/ui/api/vms?q=colour=red", harness.TenantToken, http.StatusBadRequest, "colour"},
		{"a page too large", "/ui/api/vms?limit=100000", harness.TenantToken, http.StatusBadRequest, "limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body := b.Do(t, http.MethodGet, c.path, c.token, nil)
			if code != c.code || !strings.Contains(string(body), c.has) {
				t.Errorf("%s: %d %s; want %d with %s", c.path, code, body, c.code, c.has)
			}
		})
	}
}

// The page loads nothing from elsewhere: no absolute URL, import or font in its files, and its
// policy says so to the browser.
func TestPageIsSelfContained(t *testing.T) {
	files, err := filepath.Glob("static/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no static files: %v", err)
	}
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|@import|@font-face|url\(`)
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := external.Find(body); m != nil {
			t.Errorf("%s refers to %q: the console must load nothing from outside the broker", f, m)
		}
	}
	b := harness.Start(t, harness.Options{})
	code, hdr, body := b.Request(t, http.MethodGet, "/ui/", nil)
	if code != http.StatusOK || !strings.Contains(string(body), "console.js") {
		t.Fatalf("/ui/: %d %s", code, body)
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	for path, want := range map[string]int{"/ui/assets/console.js": 200, "/ui/assets/console.css": 200, "/ui/assets/../page.go": 404, "/ui/assets/nope.js": 404} {
		if code, _, _ := b.Request(t, http.MethodGet, path, nil); code != want {
			t.Errorf("%s: %d, want %d", path, code, want)
		}
	}
}

package zstack_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/param"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/view"

	"cloudbroker/cmd/app"
	"cloudbroker/config"
	"cloudbroker/test/harness"
	"cloudbroker/test/redistest"
)

var rfc3339 = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z`)

// issuer signs licences as a vendor would.
type issuer struct{ priv ed25519.PrivateKey }

func newIssuer(t *testing.T) issuer {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return issuer{priv}
}

func (i issuer) publicKey() string {
	return base64.StdEncoding.EncodeToString(i.priv.Public().(ed25519.PublicKey))
}

// sign returns the base64 licence text of a document (a JSON object).
func (i issuer) sign(doc map[string]any) string {
	raw, _ := json.Marshal(doc)
	env, _ := json.Marshal(map[string]any{"document": json.RawMessage(raw), "signature": ed25519.Sign(i.priv, raw)})
	return base64.StdEncoding.EncodeToString(env)
}

// maskLicenseRequest replaces the licence request, which carries the build's version.
func maskLicenseRequest(body []byte) []byte {
	req, _ := json.Marshal(map[string]string{"product": "cloudbroker", "version": app.Version})
	return []byte(strings.Replace(string(body), base64.StdEncoding.EncodeToString(req), "LICENSE-REQUEST", 1))
}

// licenseBroker is a broker that trusts key, on redis (a new one when nil).
func licenseBroker(t *testing.T, redis *redistest.Server, keys ...string) *harness.Broker {
	t.Helper()
	return startBroker(t, brokerOpts{noWorker: true, tune: func(c *config.Config) {
		c.License.PublicKeys = keys
		if redis != nil {
			c.Redis.Addr = redis.Addr
		}
	}})
}

// updateLicense sends UpdateLicense over raw HTTP and returns the immediate answer.
func updateLicense(t *testing.T, b *harness.Broker, session, node, text string) response {
	t.Helper()
	return call(t, b, http.MethodPut, "/zstack/v1/licenses/mn/"+node+"/actions", session,
		map[string]any{"updateLicense": map[string]string{"license": text}})
}

// Without an installed licence the broker is under the free licence, which limits nothing.
func TestLicenseFree(t *testing.T) {
	b := licenseBroker(t, nil)
	admin := login(t, b, "admin", adminPass)
	res := call(t, b, http.MethodGet, "/zstack/v1/licenses", admin, nil)
	if res.Code != http.StatusOK {
		t.Fatalf("GetLicenseInfo: %d %s", res.Code, res.Body)
	}
	goldenJSON(t, "license_free", maskLicenseRequest(res.Body))

	lic, err := sdkClient(t, b, "admin", adminPass).GetLicenseInfo(param.NewQueryParam())
	if err != nil {
		t.Fatalf("SDK GetLicenseInfo: %v", err)
	}
	if lic.LicenseType != "Free" || lic.HostNum != math.MaxInt32 || lic.AvailableHostNum != math.MaxInt32 ||
		lic.Expired || !lic.IssuedDate.IsZero() || !lic.ExpiredDate.IsZero() {
		t.Errorf("SDK free licence = %+v", lic)
	}
}

// A signed licence is installed with UpdateLicense through the SDK, read back by
// GetLicenseInfo and ReloadLicense, and seen by another replica on the same Redis; a replica
// that no longer trusts its key falls back to the free licence and its reload says why.
func TestLicenseUpdate(t *testing.T) {
	iss := newIssuer(t)
	b := licenseBroker(t, nil, iss.publicKey())
	self := b.App.NodeID()
	issued := time.Now().Add(-time.Hour).Truncate(time.Second)
	expires := issued.Add(30 * 24 * time.Hour)
	text := iss.sign(map[string]any{"user": "ops@msp.example", "licenseType": "Paid",
		"issuedDate": issued, "expiredDate": expires, "hostNum": 10, "cpuNum": 40})

	cli := sdkClient(t, b, "admin", adminPass)
	got, err := cli.UpdateLicense(self, param.UpdateLicenseParam{UpdateLicense: param.UpdateLicenseDetailParam{License: text}})
	if err != nil {
		t.Fatalf("SDK UpdateLicense: %v", err)
	}
	check := func(what string, l view.LicenseInventoryView) {
		t.Helper()
		if l.User != "ops@msp.example" || l.LicenseType != "Paid" || l.HostNum != 10 || l.CpuNum != 40 ||
			l.AvailableHostNum != 10 || l.Expired || l.ManagementNodeUuid != self {
			t.Errorf("%s = %+v", what, l)
		}
		// The SDK parses the dates into the instants the licence holds.
		if !l.IssuedDate.Equal(issued) || !l.ExpiredDate.Equal(expires) {
			t.Errorf("%s dates = %s .. %s, want %s .. %s", what, l.IssuedDate, l.ExpiredDate, issued, expires)
		}
	}
	check("UpdateLicense", *got)
	info, err := cli.GetLicenseInfo(param.NewQueryParam())
	if err != nil {
		t.Fatal(err)
	}
	check("GetLicenseInfo", info)
	reloaded, err := cli.ReloadLicense(param.ReloadLicenseParam{ReloadLicense: param.ReloadLicenseDetailParam{ManagementNodeUuids: []string{self}}})
	if err != nil {
		t.Fatalf("SDK ReloadLicense: %v", err)
	}
	check("ReloadLicense", reloaded)

	admin := login(t, b, "admin", adminPass)
	res := call(t, b, http.MethodGet, "/zstack/v1/licenses", admin, nil)
	goldenJSON(t, "license_installed", maskLicenseRequest(res.Body))

	// Another replica on the same Redis has the same licence.
	other := licenseBroker(t, b.Redis, iss.publicKey())
	otherAdmin := login(t, other, "admin", adminPass)
	if res2 := call(t, other, http.MethodGet, "/zstack/v1/licenses", otherAdmin, nil); string(res2.Body) != string(res.Body) {
		t.Errorf("replica 2 reads another licence:\n%s\nwant\n%s", res2.Body, res.Body)
	}

	// A replica whose configuration no longer trusts the issuer serves the free licence, and
	// ReloadLicense says why.
	untrusting := licenseBroker(t, b.Redis, newIssuer(t).publicKey())
	ua := login(t, untrusting, "admin", adminPass)
	var free struct{ Inventory struct{ LicenseType string } }
	call(t, untrusting, http.MethodGet, "/zstack/v1/licenses", ua, nil).json(t, &free)
	if free.Inventory.LicenseType != "Free" {
		t.Errorf("untrusting replica's licence = %s, want Free", free.Inventory.LicenseType)
	}
	r := call(t, untrusting, http.MethodPut, "/zstack/v1/licenses/actions", ua, `{"reloadLicense":{}}`)
	var loc struct{ Location string }
	r.json(t, &loc)
	if job := pollJob(t, untrusting, ua, loc.Location); job.Code != http.StatusServiceUnavailable ||
		!strings.Contains(string(job.Body), "no longer verifies: the licence's signature matches none of the 1 key(s)") {
		t.Errorf("ReloadLicense of an untrusted licence: %d %s", job.Code, job.Body)
	}
}

// A refused licence is answered 400 at once with the reason and changes nothing.
func TestLicenseUpdateRefused(t *testing.T) {
	iss := newIssuer(t)
	b := licenseBroker(t, nil, iss.publicKey())
	self := b.App.NodeID()
	admin := login(t, b, "admin", adminPass)
	now := time.Now().Truncate(time.Second)
	good := map[string]any{"user": "ops", "licenseType": "Paid", "issuedDate": now.Add(-time.Hour), "hostNum": 5}
	if res := updateLicense(t, b, admin, self, iss.sign(good)); res.Code != http.StatusAccepted {
		t.Fatalf("installing the first licence: %d %s", res.Code, res.Body)
	}
	before := call(t, b, http.MethodGet, "/zstack/v1/licenses", admin, nil)

	with := func(k string, v any) map[string]any {
		d := map[string]any{}
		for kk, vv := range good {
			d[kk] = vv
		}
		d[k] = v
		return d
	}
	tampered := func() string {
		raw, _ := base64.StdEncoding.DecodeString(iss.sign(good))
		return base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(raw), `"hostNum":5`, `"hostNum":500`, 1)))
	}()
	for _, tc := range []struct {
		name, node, text, want string
	}{
		{"empty", self, "", "the licence is empty"},
		{"not base64", self, "this is license string", "the licence is not base64: illegal base64 data at input byte 4"},
		{"not a signed licence", self, base64.StdEncoding.EncodeToString([]byte(`{"user":"x"}`)), `the licence is not a signed licence: want the base64 of {\"document\"`},
		{"other issuer", self, newIssuer(t).sign(good), "the licence's signature matches none of the 1 key(s) in license.public_keys"},
		{"tampered", self, tampered, "the licence's signature matches none of the 1 key(s)"},
		{"expired", self, iss.sign(with("expiredDate", now.Add(-time.Minute))), "the licence expired on "},
		{"expires before issued", self, iss.sign(with("expiredDate", now.Add(-2*time.Hour))), "expiredDate"},
		{"issued in the future", self, iss.sign(with("issuedDate", now.Add(24*time.Hour))), "the licence is issued in the future"},
		{"no type", self, iss.sign(with("licenseType", "")), "the licence's document has no licenseType"},
		{"unknown field", self, iss.sign(with("vmNum", 3)), `unknown field \"vmNum\"`},
		{"unknown capability", self, iss.sign(with("capabilities", map[string]bool{"teleport": false})), `unknown capability \"teleport\"; capabilities are addHost, clonevm`},
		{"unknown node", "0123456789abcdef0123456789abcdef", iss.sign(good), "managementNodeUuid: management node 0123456789abcdef0123456789abcdef is not running"},
		{"node not a uuid", "mn-1", iss.sign(good), `managementNodeUuid: \"mn-1\" is not a management node uuid`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := updateLicense(t, b, admin, tc.node, tc.text)
			if res.Code != http.StatusBadRequest || !strings.Contains(string(res.Body), tc.want) {
				t.Errorf("%d %s, want 400 with %q", res.Code, res.Body, tc.want)
			}
			if tc.name == "other issuer" {
				goldenJSON(t, "license_update_bad_signature", res.Body)
			}
			if tc.name == "expired" {
				goldenJSON(t, "license_update_expired", rfc3339.ReplaceAll(res.Body, []byte("DATE")))
			}
		})
	}
	if r := call(t, b, http.MethodPut, "/zstack/v1/licenses/actions", admin, `{"reloadLicense":{"managementNodeUuids":["0123456789abcdef0123456789abcdef"]}}`); r.Code != http.StatusBadRequest ||
		!strings.Contains(string(r.Body), "reloadLicense.managementNodeUuids: management node 0123456789abcdef0123456789abcdef is not running") {
		t.Errorf("ReloadLicense for an unknown node: %d %s", r.Code, r.Body)
	}
	// A tenant may not change the broker's licence: its job fails, nothing changes.
	tenant := login(t, b, "tenant-a", passA)
	res := updateLicense(t, b, tenant, self, iss.sign(with("hostNum", 99)))
	var loc struct{ Location string }
	res.json(t, &loc)
	if job := pollJob(t, b, tenant, loc.Location); job.Code != http.StatusServiceUnavailable || !strings.Contains(string(job.Body), "may not change the broker's licence") {
		t.Errorf("tenant UpdateLicense: %d %s", job.Code, job.Body)
	}

	after := call(t, b, http.MethodGet, "/zstack/v1/licenses", admin, nil)
	if diff := cmp.Diff(string(before.Body), string(after.Body)); diff != "" {
		t.Errorf("refused updates changed the licence (-before +after):\n%s", diff)
	}
}

// GetLicenseCapabilities follows the drivers configured; a licence can turn one off.
func TestLicenseCapabilities(t *testing.T) {
	iss := newIssuer(t)
	onlyAdmin := []config.ZStackAccount{{Name: "admin", PasswordSHA512: config.HashPassword(adminPass), AllProviders: true}}
	for _, tc := range []struct {
		name      string
		providers []config.Provider // nil: the harness's vCenter simulators
		want      map[string]bool   // the capabilities that are "true"
	}{
		{"vCenter", nil, map[string]bool{"vmware": true, "clonevm": true, "monitoring": true}},
		{"KVM", []config.Provider{{Name: "kvm1", Driver: "kvm", URL: "test:///default"}},
			map[string]bool{"clonevm": true, "monitoring": true}},
		{"catalog", []config.Provider{{Name: "upstream", Driver: "catalog", URL: "http://127.0.0.1:1"}},
			map[string]bool{"monitoring": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := harness.Start(t, harness.Options{NoWorker: true, Tune: func(c *config.Config) {
				c.ZStack.Accounts = onlyAdmin
				c.License.PublicKeys = []string{iss.publicKey()}
				if tc.providers != nil {
					c.Providers = tc.providers
				}
				c.Auth.Tokens = c.Auth.Tokens[:1] // the tenant token names vc1
			}})
			caps, err := sdkClient(t, b, "admin", adminPass).GetLicenseCapabilities(param.NewQueryParam())
			if err != nil {
				t.Fatalf("SDK GetLicenseCapabilities: %v", err)
			}
			got := map[string]bool{}
			for k, v := range caps {
				if v == "true" {
					got[k] = true
				} else if v != "false" {
					t.Errorf("capability %s = %v, want \"true\" or \"false\"", k, v)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || len(caps) != 15 {
				t.Errorf("%d capabilities; true ones (-want +got):\n%s", len(caps), diff)
			}
			admin := login(t, b, "admin", adminPass)
			if tc.providers == nil {
				goldenJSON(t, "license_capabilities_vcenter", call(t, b, http.MethodGet, "/zstack/v1/licenses/capabilities", admin, nil).Body)
			}

			// A licence that switches clonevm off turns it off, whatever the drivers can do.
			text := iss.sign(map[string]any{"user": "ops", "licenseType": "Paid", "issuedDate": time.Now().Add(-time.Minute),
				"capabilities": map[string]bool{"clonevm": false}})
			res := updateLicense(t, b, admin, b.App.NodeID(), text)
			var loc struct{ Location string }
			res.json(t, &loc)
			if job := pollJob(t, b, admin, loc.Location); job.Code != http.StatusOK {
				t.Fatalf("UpdateLicense: %d %s", job.Code, job.Body)
			}
			var after struct{ Capabilities map[string]string }
			call(t, b, http.MethodGet, "/zstack/v1/licenses/capabilities", admin, nil).json(t, &after)
			if after.Capabilities["clonevm"] != "false" || after.Capabilities["monitoring"] != "true" {
				t.Errorf("with clonevm switched off by the licence: %v", after.Capabilities)
			}
		})
	}
}

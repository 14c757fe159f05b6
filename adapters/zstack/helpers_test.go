package zstack_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/client"

	"cloudbroker/config"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/golden"
	"cloudbroker/test/harness"
)

// Accounts of every test broker: admin sees everything, tenant-a only vc1, tenant-b only vc2.
const (
	adminPass = "admin-password"
	passA     = "password-a"
	passB     = "password-b"
	passAlice = "password-alice"
)

// brokerOpts shape a test broker.
type brokerOpts struct {
	noWorker bool
	kvm      []harness.KVMProvider
	tune     func(*config.Config)
	// proxied fronts each simulator with a fault proxy (Broker.Proxies), to slow vCenter down.
	proxied bool
	// templates are made before the broker watches (harness.Options.Templates).
	templates map[int][]vcsim.Template
}

// startBroker starts a harness broker (real redis-server, two govmomi simulators vc1 and vc2)
// with the ZStack accounts and 127.0.0.1 allowed for webhooks.
func startBroker(t *testing.T, o brokerOpts) *harness.Broker {
	t.Helper()
	return harness.Start(t, harness.Options{Simulators: 2, NoWorker: o.noWorker, KVM: o.kvm, Proxied: o.proxied, Templates: o.templates, Tune: func(c *config.Config) {
		c.ZStack.Accounts = []config.ZStackAccount{
			{Name: "admin", PasswordSHA512: config.HashPassword(adminPass), AllProviders: true},
			{Name: "tenant-a", Password: passA, Providers: []string{"vc1"},
				Users: []config.ZStackUser{{Name: "alice", Password: passAlice}}},
			{Name: "tenant-b", Password: passB, Providers: []string{"vc2"}},
		}
		c.ZStack.Webhooks.AllowedHosts = []string{"127.0.0.1"}
		c.ZStack.Webhooks.RetryDelay = config.Duration(200 * time.Millisecond)
		c.ZStack.Webhooks.MaxDelay = config.Duration(time.Second)
		c.ZStack.Webhooks.SweepInterval = config.Duration(300 * time.Millisecond)
		c.ZStack.Webhooks.PollInterval = config.Duration(20 * time.Millisecond)
		if o.tune != nil {
			o.tune(c)
		}
	}})
}

// sdkClient logs in with the public ZStack Go SDK and logs out when the test ends.
func sdkClient(t *testing.T, b *harness.Broker, account, password string) *client.ZSClient {
	t.Helper()
	u, _ := url.Parse(b.URL)
	port, _ := strconv.Atoi(u.Port())
	cli := client.NewZSClient(client.NewZSConfig(u.Hostname(), port, "zstack").
		LoginAccount(account, password).RetryInterval(1).RetryTimes(60))
	if _, err := cli.Login(); err != nil {
		t.Fatalf("SDK login as %s: %v", account, err)
	}
	t.Cleanup(func() { cli.Logout() })
	return cli
}

// response is one raw HTTP answer.
type response struct {
	Code   int
	Header http.Header
	Body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %d %s: %v", r.Code, r.Body, err)
	}
}

// call sends a raw request (see harness.Broker.Request); session "" sends no Authorization.
func call(t *testing.T, b *harness.Broker, method, path, session string, body any, headers ...string) response {
	t.Helper()
	var auth []string
	if session != "" {
		auth = []string{"Authorization", "OAuth " + session}
	}
	code, h, out := b.Request(t, method, path, body, append(auth, headers...)...)
	return response{Code: code, Header: h, Body: out}
}

// login logs in over raw HTTP and returns the session uuid.
func login(t *testing.T, b *harness.Broker, account, password string) string {
	t.Helper()
	res := call(t, b, http.MethodPut, "/zstack/v1/accounts/login", "", map[string]any{
		"logInByAccount": map[string]string{"accountName": account, "password": config.HashPassword(password)},
	})
	if res.Code != http.StatusOK {
		t.Fatalf("login %s: %d %s", account, res.Code, res.Body)
	}
	var s struct{ Inventory struct{ UUID string } }
	res.json(t, &s)
	return s.Inventory.UUID
}

// clusterUUID is the clusterUuid the dialect gives a provider's VMs (a provider is a cluster).
func clusterUUID(provider string) string {
	sum := sha256.Sum256([]byte("cluster\x00" + provider))
	return hex.EncodeToString(sum[:16])
}

// uuidOf finds a VM's uuid by name on the i-th simulator (vc1, vc2...) through the dialect.
func uuidOf(t *testing.T, b *harness.Broker, sim int, name string) string {
	t.Helper()
	s := login(t, b, "admin", adminPass)
	provider := "vc" + strconv.Itoa(sim+1)
	deadline := time.Now().Add(20 * time.Second)
	for {
		res := call(t, b, http.MethodGet, "/zstack/v1/vm-instances?q=name="+url.QueryEscape(name), s, nil)
		var list struct {
			Inventories []struct{ UUID, ClusterUUID string }
		}
		res.json(t, &list)
		for _, vm := range list.Inventories {
			if vm.ClusterUUID == clusterUUID(provider) {
				return vm.UUID
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no VM %q on %s: %s", name, provider, res.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pollJob polls a job location until it is no longer 202.
func pollJob(t *testing.T, b *harness.Broker, session, location string) response {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil {
		t.Fatalf("location %q: %v", location, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res := call(t, b, http.MethodGet, u.Path, session, nil)
		if res.Code != http.StatusAccepted {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still running", location)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	hex32     = regexp.MustCompile(`\b[0-9a-f]{32}\b`)
	zsDate    = regexp.MustCompile(`"[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M"`)
	localHost = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
)

// golden compares a JSON answer with testdata/<name>.golden after masking uuids, dates and
// the broker's address.
func goldenJSON(t *testing.T, name string, body []byte) {
	t.Helper()
	var pretty any
	if err := json.Unmarshal(body, &pretty); err != nil {
		t.Fatalf("%s: not JSON: %s", name, body)
	}
	out, _ := json.MarshalIndent(pretty, "", "  ")
	s := hex32.ReplaceAllString(string(out), `<uuid>`)
	s = zsDate.ReplaceAllString(s, `"<date>"`)
	s = localHost.ReplaceAllString(s, "http://<broker>")
	s += "\n"
	golden.Compare(t, name, s)
}

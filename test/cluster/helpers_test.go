package cluster

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"cloudbroker/cmd/app"
	"cloudbroker/config"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/harness"
	"cloudbroker/test/redistest"
	"cloudbroker/test/wait"
)

const (
	admin     = harness.AdminToken
	adminPass = "admin-password"
	clientid  = "site-a"
	siteVC    = "vc-site-a"
)

// world is a broker (with its own worker for vc1) and an agent for clientid serving siteVC, both
// on one Redis Cluster, each logging into its own buffer.
type world struct {
	cl                  *redistest.Cluster
	b                   *harness.Broker
	brokerLog, agentLog *harness.LogBuffer
}

func start(t *testing.T) *world {
	t.Helper()
	cl := redistest.StartCluster(t)
	w := &world{cl: cl, brokerLog: &harness.LogBuffer{}, agentLog: &harness.LogBuffer{}}
	agents := config.Agents{HeartbeatInterval: config.Duration(500 * time.Millisecond), OfflineAfter: config.Duration(2 * time.Second)}
	// The DiDi list's template is made before the broker watches: the simulator races a
	// template being made against a watch's read (see harness.Options.Templates).
	tpls := map[int][]vcsim.Template{0: {{Source: "DC0_H0_VM1", Name: "cluster-tpl", GuestID: "centos7_64Guest"}}}
	w.b = harness.Start(t, harness.Options{Cluster: cl, Log: w.brokerLog, Templates: tpls, Tune: func(c *config.Config) {
		c.ZStack.Accounts = []config.ZStackAccount{{Name: "admin", Password: adminPass, AllProviders: true}}
		c.Agents = agents
		c.GC.ExpiredTaskIndexes.Interval = config.Duration(time.Hour) // runs when the test triggers it
		c.ZStack.Webhooks.AllowedHosts = []string{"127.0.0.1"}
		c.ZStack.Webhooks.PollInterval = config.Duration(20 * time.Millisecond)
	}})
	startAgent(t, cl, agents, w.agentLog)
	return w
}

// startAgent runs an agent in this process, as cmd/agent does, until the test ends.
func startAgent(t *testing.T, cl *redistest.Cluster, agents config.Agents, log *harness.LogBuffer) {
	t.Helper()
	sim, err := vcsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	cfg := &config.Config{Redis: config.Redis{ClusterAddrs: cl.Addrs}, Agents: agents,
		Providers: []config.Provider{{Name: siteVC, Driver: "vcenter", URL: sim.URL().String(), Insecure: true, Region: "r-site"}}}
	cfg.Tasks.RetryDelay = config.Duration(10 * time.Millisecond)
	cfg.Tasks.PollInterval = config.Duration(10 * time.Millisecond)
	cfg.Worker.ShutdownTimeout = config.Duration(2 * time.Second)
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.NewAgent(cfg, clientid, slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err != nil {
		t.Fatal(err)
	}
	redistest.CheckSlots(t, a.Redis())
	redistest.CheckSlots(t, a.WorkerRedis())
	harness.RunAgent(t, a)
	waitFor(t, "the agent running", func() bool { return strings.Contains(log.String(), "agent running") })
}

// waitFor polls cond for up to 30s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wait.For(t, 30*time.Second, what, cond)
}

// vcproxy is one vcproxy call with the admin token: the answer's data (or envelope) decoded.
func (w *world) vcproxy(t *testing.T, path string, req, out any) {
	t.Helper()
	code, body := w.b.Post(t, path, admin, req)
	if code != http.StatusOK {
		t.Fatalf("%s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("%s: %v: %s", path, err, body)
	}
}

type vmRow struct{ VMID, Name, Provider string }

// vmOf waits until provider's VM name is listed and returns its id.
func (w *world) vmOf(t *testing.T, provider, name string) string {
	t.Helper()
	var id string
	waitFor(t, name+" on "+provider, func() bool {
		var r struct {
			Data struct {
				VMs []vmRow `json:"vms"`
			} `json:"data"`
		}
		w.vcproxy(t, "/api/vm/list", map[string]any{"limit": 1000}, &r)
		for _, vm := range r.Data.VMs {
			if vm.Provider == provider && vm.Name == name {
				id = vm.VMID
			}
		}
		return id != ""
	})
	return id
}

// envelope is vcproxy's task answer.
type envelope struct {
	TaskID  string
	Content struct {
		Task struct {
			TaskErrcode string `json:"task_errcode"`
			TaskErrmsg  string `json:"task_errmsg"`
		} `json:"task"`
		VM struct {
			DiskList []json.RawMessage `json:"disk_list"`
		} `json:"vm"`
	}
}

// zstack is one ZStack call in session s, with extra headers.
func (w *world) zstack(t *testing.T, method, path, s string, body any, header ...string) (int, http.Header, []byte) {
	t.Helper()
	return w.b.Request(t, method, path, body, append([]string{"Authorization", "OAuth " + s}, header...)...)
}

func (w *world) login(t *testing.T) string {
	t.Helper()
	code, _, body := w.b.Request(t, http.MethodPut, "/zstack/v1/accounts/login", map[string]any{
		"logInByAccount": map[string]string{"accountName": "admin", "password": config.HashPassword(adminPass)},
	})
	var r struct{ Inventory struct{ UUID string } }
	if code != http.StatusOK || json.Unmarshal(body, &r) != nil || r.Inventory.UUID == "" {
		t.Fatalf("login: %d %s", code, body)
	}
	return r.Inventory.UUID
}

// accepted checks a 202 and polls its api-job to the end, returning the job's answer.
func (w *world) accepted(t *testing.T, s string, code int, body []byte) []byte {
	t.Helper()
	var acc struct{ Location string }
	if code != http.StatusAccepted || json.Unmarshal(body, &acc) != nil {
		t.Fatalf("want 202 with a location: %d %s", code, body)
	}
	u, err := url.Parse(acc.Location)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	waitFor(t, "api-job "+u.Path, func() bool {
		code, _, out = w.zstack(t, http.MethodGet, u.Path, s, nil)
		return code != http.StatusAccepted
	})
	if code != http.StatusOK {
		t.Fatalf("api-job %s: %d %s", u.Path, code, out)
	}
	return out
}

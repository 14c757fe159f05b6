// Package tenancy is the cross-dialect tenancy suite (issue 13): one broker with two tenants,
// A on vc1 and B on vc2 (plus B's agent-served site-b), and for every route the router
// registers, tenant A trying B's ids. Nothing of B may be shown, changed or deleted.
package tenancy

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/queue"
	"cloudbroker/test/harness"
)

// Credentials. A sees vc1; B sees vc2 and site-b (served by agent-b); admin sets up only.
const (
	tokenA       = "tenant-a-token-0123456789"
	metricsToken = "metrics-token-0123456789"
	tokenB       = "tenant-b-token-0123456789"
	adminToken   = harness.AdminToken
	passA        = "password-a"
	passB        = "password-b"
	passAlice    = "password-alice"
	adminPass    = "admin-password"
)

// Names only B's world has: none may appear in an answer to A.
const (
	cloneB    = "tenant-b-clone-1"
	templateB = "tenant-b-template"
	userTagB  = "tenant-b-secret-tag"
	sysTagB   = "tenantb::secret"
	siteB     = "site-b"
	agentB    = "agent-b"
	regionB   = "region-b"
)

// world is the running broker and the ids of B's things A will try.
type world struct {
	b                   *harness.Broker
	sessA, sessB, admin string // ZStack sessions

	vmA     string   // A's own VM (a target for A's own requests carrying B's ids)
	vmB     string   // B's DC0_H0_VM0
	vmsB    []string // every VM uuid on vc2, the template and the clone included
	cloneB  string   // uuid of B's clone
	tmplB   string   // uuid of B's template
	hostB   string
	cluster string // B's cluster (vc2)
	zone    string // B's zone (region-b)

	// tasks are B's task ids by state and dialect; expired ones' records are gone.
	tasks   []namedID
	expired map[string]bool
	zsJobs  []string // B's ZStack api-job ids (live, finished, failed, tag, expired)
	vcTasks []string // every B task id, read through /api/task/info
	lj      struct{ done, live string }
	tagUser string // uuid of B's user tag
	tagSys  string // uuid of B's system tag
	notes   []string
	gcJobs  []string // every GC job's uuid (broker-wide records)
	nodeID  string   // this broker's management node

	secrets []namedID // every string of B's that must not reach A, by what it is
}

type namedID struct{ name, id string }

// startWorld builds the broker and B's world: finished, failed, expired and live tasks of every
// dialect, tags, a notification, a template with a running task (DiDi shows its job), an agent.
func startWorld(t *testing.T) *world {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("B's world built in %s", time.Since(start).Round(time.Millisecond)) }()
	w := &world{expired: map[string]bool{}}
	b := harness.Start(t, harness.Options{Simulators: 2, Proxied: true, Templates: map[int][]vcsim.Template{
		1: {{Source: "DC0_H0_VM1", Name: templateB}},
	}, Tune: func(c *config.Config) {
		c.Providers[1].Region = regionB
		c.Providers[1].MaxConcurrency = 1 // one stalled task holds vc2; B's later ones wait
		c.Providers[1].Timeout = config.Duration(10 * time.Minute)
		c.Providers = append(c.Providers, config.Provider{Name: siteB, Driver: "vcenter", ClientID: agentB,
			URL: "https://site-b.invalid/sdk", Region: regionB, Zones: []string{"zone-b"}})
		c.Tasks.Timeout = config.Duration(10 * time.Minute)
		// Rate limits are not what this suite is about: B's view is read after every attempt.
		c.HTTP.RateLimit.RPS, c.HTTP.RateLimit.Burst = 1e6, 1e6
		c.HTTP.MetricsToken = metricsToken
		c.Tasks.SyncTimeout = config.Duration(10 * time.Second)
		c.Auth.Tokens = []config.Token{
			{Name: "admin", Token: adminToken, AllProviders: true, Admin: true},
			{Name: "tenant-a", Token: tokenA, Providers: []string{"vc1"}},
			{Name: "tenant-b", Token: tokenB, Providers: []string{"vc2", siteB}},
		}
		c.ZStack.Accounts = []config.ZStackAccount{
			{Name: "admin", Password: adminPass, AllProviders: true},
			{Name: "tenant-a", Password: passA, Providers: []string{"vc1"},
				Users: []config.ZStackUser{{Name: "alice", Password: passAlice}}},
			{Name: "tenant-b", Password: passB, Providers: []string{"vc2", siteB}},
		}
	}})
	w.b = b
	// vc2 stalls from the live tasks on; it must answer again before the broker closes (its
	// logout goes through the proxy too).
	t.Cleanup(func() { b.Proxies[1].SetDelay(0); b.Proxies[1].Flush() })
	w.startAgent(t)
	w.sessA, w.sessB, w.admin = w.login(t, "tenant-a", passA), w.login(t, "tenant-b", passB), w.login(t, "admin", adminPass)

	w.vmA = w.vmID(t, tokenA, "vc1", "DC0_H0_VM0")
	w.vmB = w.vmID(t, tokenB, "vc2", "DC0_H0_VM0")
	w.tmplB = w.vmID(t, tokenB, "vc2", templateB)
	w.cluster = broker.DerivedUUID("cluster", "vc2")
	w.zone = broker.DerivedUUID("zone", regionB)
	w.hostB = w.hostOf(t, w.vmB)

	// Finished, failed and tag tasks.
	vcDone := w.diskInfoSync(t, w.vmB)
	zsDone := w.zsAction(t, w.sessB, w.vmB, map[string]any{"cloneVmInstance": map[string]any{"names": []string{cloneB}}}, http.StatusOK)
	zsFailed := w.zsAction(t, w.sessB, w.vmB, map[string]any{"cloneVmInstance": map[string]any{"names": []string{cloneB}}}, http.StatusServiceUnavailable)
	w.cloneB = w.vmID(t, tokenB, "vc2", cloneB)
	ljDone := w.longJob(t, "tenant-b-lj-done", w.vmB, "")
	w.waitLongJob(t, ljDone, "Succeeded")
	var tagJob string
	w.tagUser, tagJob = w.tag(t, "user-tags", userTagB)
	w.tagSys, _ = w.tag(t, "system-tags", sysTagB)

	// Expired: finished, then their records removed as retention would.
	vcExp := w.diskInfoSync(t, w.vmB)
	zsExp := w.zsAction(t, w.sessB, w.vmB, map[string]any{"rebootVmInstance": map[string]any{}}, http.StatusOK)
	ljExp := w.longJob(t, "tenant-b-lj-expired", w.vmB, "")
	w.waitLongJob(t, ljExp, "Succeeded")
	for _, id := range []string{vcExp, zsExp, ljExp} {
		w.expire(t, id)
		w.expired[id] = true
	}

	// B's notification (the failed clone's TaskFailed) and the GC jobs' results.
	w.notes = w.waitNotifications(t)
	w.gcJobs = w.listUUIDs(t, "/zstack/v1/gc-jobs", w.admin)
	for _, id := range w.gcJobs {
		w.zsDo(t, w.admin, http.MethodPut, "/zstack/v1/gc-jobs/"+id+"/actions", map[string]any{"triggerGCJob": map[string]any{}}, http.StatusOK)
	}
	w.nodeID = w.listUUIDs(t, "/zstack/v1/management-nodes", w.admin)[0]

	// Live: vc2 stalls, so B's first task holds vc2's one slot and the others wait.
	b.Proxies[1].SetDelay(10 * time.Minute)
	vcLive := w.diskInfoAsync(t, w.tmplB)
	waitRunning(t, w, vcLive)
	vcPending := w.diskInfoAsync(t, w.vmB)
	zsLive := w.zsAction(t, w.sessB, w.vmB, map[string]any{"rebootVmInstance": map[string]any{}}, http.StatusAccepted)
	ljLive := w.longJob(t, "tenant-b-lj-live", w.vmB, "")
	w.lj.done, w.lj.live = ljDone, ljLive

	w.tasks = []namedID{
		{"vcproxy diskinfo finished", vcDone}, {"vcproxy diskinfo running (DiDi job)", vcLive},
		{"vcproxy diskinfo pending", vcPending}, {"vcproxy diskinfo expired", vcExp},
		{"zstack job finished", zsDone}, {"zstack job failed", zsFailed}, {"zstack job pending", zsLive},
		{"zstack tag job", tagJob}, {"zstack job expired", zsExp},
		{"long job finished", ljDone}, {"long job pending", ljLive}, {"long job expired", ljExp},
	}
	for _, n := range w.tasks {
		w.vcTasks = append(w.vcTasks, n.id)
	}
	w.zsJobs = []string{zsDone, zsFailed, zsLive, tagJob, zsExp, ljDone, ljLive, ljExp}
	w.vmsB = w.allVMs(t, tokenB)
	for _, s := range []string{"vc2", siteB, agentB, regionB, "tenant-b"} {
		w.secrets = append(w.secrets, namedID{"name", s})
	}
	w.secrets = append(w.secrets, namedID{"host uuid", w.hostB}, namedID{"cluster uuid", w.cluster},
		namedID{"zone uuid", w.zone}, namedID{"user tag uuid", w.tagUser}, namedID{"system tag uuid", w.tagSys},
		namedID{"user tag", userTagB}, namedID{"system tag", sysTagB}, namedID{"session", w.sessB})
	for _, id := range w.vmsB {
		w.secrets = append(w.secrets, namedID{"VM uuid", id})
	}
	for _, n := range w.tasks {
		w.secrets = append(w.secrets, namedID{"task id (" + n.name + ")", n.id})
	}
	for _, id := range w.notes {
		w.secrets = append(w.secrets, namedID{"notification uuid", id})
	}
	return w
}

// startAgent announces agent-b, online, serving site-b (its queue has no worker here).
func (w *world) startAgent(t *testing.T) {
	t.Helper()
	rdb := w.b.Redis.Client(t)
	hb := queue.NewHeartbeat(rdb, broker.Agent{ClientID: agentB, Instance: "agent-b-instance", Version: "test",
		Hostname: "agent-b-host", PID: 4242, StartedAt: time.Now(),
		Providers: []model.Provider{{Name: siteB, Driver: "vcenter", ClientID: agentB, Region: regionB, Zones: []string{"zone-b"}}},
	}, 500*time.Millisecond, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	if err := hb.Acquire(context.Background(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	go hb.Run()
	t.Cleanup(func() { hb.Stop(context.Background()) })
	// agent-b's worker: site-b is a stand-in, so its listings fail at once (rather than wait
	// out the sync timeout) and its inventory watch stays loading.
	wk := queue.NewWorker(rdb, siteStandIn{}, queue.WorkerConfig{Queues: []string{queue.QueueFor(agentB)},
		PollInterval: 10 * time.Millisecond, ShutdownTimeout: time.Second,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err := wk.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wk.Shutdown)
}

// siteStandIn runs agent-b's tasks: none can be done.
type siteStandIn struct{}

func (siteStandIn) Execute(ctx context.Context, spec broker.TaskSpec) (json.RawMessage, error) {
	if spec.Type == broker.TypeInventoryWatch {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, model.Errorf(model.ErrUnsupported, "%s is a stand-in: nothing runs there", siteB)
}

// expire removes a finished task's records (asynq's and the broker's), as retention does.
func (w *world) expire(t *testing.T, id string) {
	t.Helper()
	ctx := context.Background()
	rdb := w.b.Redis.Client(t)
	var keys []string
	iter := rdb.Scan(ctx, 0, "*"+id+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatalf("no record of task %s to expire", id)
	}
	if err := rdb.Del(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	for _, set := range []string{"asynq:{default}:completed", "asynq:{default}:archived"} {
		rdb.ZRem(ctx, set, id)
	}
	w.b.App.Queue().Forget(id) // the process remembers finished tasks until their expiry
	if code, _ := w.raw(t, http.MethodPost, "/api/task/info", map[string]string{"taskid": id}, bearer(tokenB)...); code != http.StatusNotFound {
		t.Fatalf("expired task %s still readable (%d)", id, code)
	}
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }
func oauth(session string) []string {
	if session == "" {
		return nil
	}
	return []string{"Authorization", "OAuth " + session}
}

func (w *world) raw(t testing.TB, method, path string, body any, header ...string) (int, []byte) {
	t.Helper()
	code, _, out := w.b.Request(t, method, path, body, header...)
	return code, out
}

func (w *world) login(t *testing.T, account, password string) string {
	t.Helper()
	code, out := w.raw(t, http.MethodPut, "/zstack/v1/accounts/login", map[string]any{
		"logInByAccount": map[string]string{"accountName": account, "password": config.HashPassword(password)}})
	if code != http.StatusOK {
		t.Fatalf("login %s: %d %s", account, code, out)
	}
	var s struct{ Inventory struct{ UUID string } }
	mustJSON(t, out, &s)
	return s.Inventory.UUID
}

func mustJSON(t testing.TB, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
}

// listVMs is token's /api/vm/list.
func (w *world) listVMs(t testing.TB, token string) []map[string]any {
	t.Helper()
	code, out := w.raw(t, http.MethodPost, "/api/vm/list", map[string]any{"limit": 1000}, bearer(token)...)
	if code != http.StatusOK {
		t.Fatalf("vm list: %d %s", code, out)
	}
	var page struct {
		Data struct{ VMs []map[string]any }
	}
	mustJSON(t, out, &page)
	return page.Data.VMs
}

// vmID waits for a VM to be listed to token and returns its vmid.
func (w *world) vmID(t *testing.T, token, provider, name string) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		for _, vm := range w.listVMs(t, token) {
			if vm["name"] == name && vm["provider"] == provider {
				return vm["vmid"].(string)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no VM %s on %s", name, provider)
		}
	}
}

func (w *world) allVMs(t *testing.T, token string) []string {
	var ids []string
	for _, vm := range w.listVMs(t, token) {
		ids = append(ids, vm["vmid"].(string))
	}
	return ids
}

// hostOf is the hostUuid B's ZStack inventory gives a VM.
func (w *world) hostOf(t *testing.T, vm string) string {
	t.Helper()
	code, out := w.raw(t, http.MethodGet, "/zstack/v1/vm-instances/"+vm, nil, oauth(w.sessB)...)
	var inv struct{ Inventories []struct{ HostUUID string } }
	mustJSON(t, out, &inv)
	if code != http.StatusOK || len(inv.Inventories) != 1 || inv.Inventories[0].HostUUID == "" {
		t.Fatalf("B's VM %s: %d %s", vm, code, out)
	}
	return inv.Inventories[0].HostUUID
}

func (w *world) diskInfoSync(t *testing.T, vm string) string {
	t.Helper()
	code, out := w.raw(t, http.MethodPost, "/api/vm/diskinfo", map[string]any{"vmid": vm, "mode": 0}, bearer(tokenB)...)
	var env struct{ TaskID string }
	mustJSON(t, out, &env)
	if code != http.StatusOK || env.TaskID == "" {
		t.Fatalf("B's diskinfo: %d %s", code, out)
	}
	return env.TaskID
}

func (w *world) diskInfoAsync(t *testing.T, vm string) string {
	t.Helper()
	code, out := w.raw(t, http.MethodPost, "/api/vm/diskinfo", map[string]any{"vmid": vm, "mode": 1}, bearer(tokenB)...)
	var res struct{ Data struct{ TaskID string } }
	mustJSON(t, out, &res)
	if code != http.StatusOK || res.Data.TaskID == "" {
		t.Fatalf("B's diskinfo: %d %s", code, out)
	}
	return res.Data.TaskID
}

// waitRunning waits until vc2's stalled proxy holds a request of B's task (its state is no
// longer queued), so the tasks submitted next wait behind it.
func waitRunning(t *testing.T, w *world, id string) {
	t.Helper()
	ctx := context.Background()
	rdb := w.b.Redis.Client(t)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if n, _ := rdb.ZScore(ctx, "asynq:{default}:lease", id).Result(); n > 0 {
			time.Sleep(200 * time.Millisecond) // let it reach vCenter
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("B's task %s never started", id)
		}
	}
}

// zsDo sends a ZStack request and, for an api-job, polls it; it fails unless the final status
// is want, and returns the final body.
func (w *world) zsDo(t *testing.T, session, method, path string, body any, want int) []byte {
	t.Helper()
	code, out := w.raw(t, method, path, body, oauth(session)...)
	if code == http.StatusAccepted && want != http.StatusAccepted {
		code, out = w.poll(t, session, out, 30*time.Second)
	}
	if code != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, code, out, want)
	}
	return out
}

// jobPath is the api-job path of a 202 answer's location.
func jobPath(body []byte) string {
	var loc struct{ Location string }
	if json.Unmarshal(body, &loc) != nil || loc.Location == "" {
		return ""
	}
	u, err := url.Parse(loc.Location)
	if err != nil {
		return ""
	}
	return u.Path
}

// poll polls a 202 answer's api-job until it is no longer 202 or for at most d.
func (w *world) poll(t testing.TB, session string, accepted []byte, d time.Duration) (int, []byte) {
	t.Helper()
	path := jobPath(accepted)
	if path == "" {
		return http.StatusAccepted, accepted
	}
	code, out := http.StatusAccepted, accepted
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		code, out = w.raw(t, http.MethodGet, path, nil, oauth(session)...)
		if code != http.StatusAccepted {
			break
		}
	}
	return code, out
}

// zsAction runs a VM action as B and returns the job's uuid.
func (w *world) zsAction(t *testing.T, session, vm string, action any, want int) string {
	t.Helper()
	code, out := w.raw(t, http.MethodPut, "/zstack/v1/vm-instances/"+vm+"/actions", action, oauth(session)...)
	path := jobPath(out)
	if code != http.StatusAccepted || path == "" {
		t.Fatalf("B's action: %d %s", code, out)
	}
	if want != http.StatusAccepted {
		if code, out = w.poll(t, session, out, 30*time.Second); code != want {
			t.Fatalf("B's action's job: %d %s, want %d", code, out, want)
		}
	}
	return path[strings.LastIndex(path, "/")+1:]
}

// longJob submits B's reboot long job (under resourceUuid if given) and returns its uuid.
func (w *world) longJob(t *testing.T, name, vm, resourceUUID string) string {
	t.Helper()
	params := map[string]any{"name": name, "jobName": "APIRebootVmInstanceMsg", "jobData": fmt.Sprintf(`{"uuid":%q}`, vm)}
	if resourceUUID != "" {
		params["resourceUuid"] = resourceUUID
	}
	out := w.zsDo(t, w.sessB, http.MethodPost, "/zstack/v1/longjobs", map[string]any{"params": params}, http.StatusOK)
	var inv struct{ Inventory struct{ UUID string } }
	mustJSON(t, out, &inv)
	return inv.Inventory.UUID
}

func (w *world) waitLongJob(t *testing.T, id, state string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(30 * time.Millisecond) {
		code, out := w.raw(t, http.MethodGet, "/zstack/v1/longjobs/"+id, nil, oauth(w.sessB)...)
		if code == http.StatusOK && strings.Contains(string(out), `"`+state+`"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("B's long job %s not %s: %d %s", id, state, code, out)
		}
	}
}

// tag creates B's tag on vmB and returns the tag's and its job's uuids.
func (w *world) tag(t *testing.T, kind, text string) (string, string) {
	t.Helper()
	code, out := w.raw(t, http.MethodPost, "/zstack/v1/"+kind, map[string]any{"params": map[string]string{
		"resourceType": "VmInstanceVO", "resourceUuid": w.vmB, "tag": text}}, oauth(w.sessB)...)
	path := jobPath(out)
	if code != http.StatusAccepted || path == "" {
		t.Fatalf("B's %s: %d %s", kind, code, out)
	}
	code, out = w.poll(t, w.sessB, out, 10*time.Second)
	var inv struct{ Inventory struct{ UUID string } }
	mustJSON(t, out, &inv)
	if code != http.StatusOK || inv.Inventory.UUID == "" {
		t.Fatalf("B's %s job: %d %s", kind, code, out)
	}
	return inv.Inventory.UUID, path[strings.LastIndex(path, "/")+1:]
}

func (w *world) listUUIDs(t *testing.T, path, session string) []string {
	t.Helper()
	code, out := w.raw(t, http.MethodGet, path, nil, oauth(session)...)
	var list struct{ Inventories []struct{ UUID string } }
	mustJSON(t, out, &list)
	if code != http.StatusOK {
		t.Fatalf("%s: %d %s", path, code, out)
	}
	var ids []string
	for _, i := range list.Inventories {
		ids = append(ids, i.UUID)
	}
	return ids
}

// waitNotifications waits for B's notifications (the failed clone's) and returns their uuids.
func (w *world) waitNotifications(t *testing.T) []string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if ids := w.listUUIDs(t, "/zstack/v1/notifications", w.sessB); len(ids) > 0 {
			return ids
		}
		if time.Now().After(deadline) {
			t.Fatal("B has no notification after its clone failed")
		}
	}
}

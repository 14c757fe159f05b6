package zstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/adapters/zstack"
	"cloudbroker/broker"
	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
	"cloudbroker/config"
)

// An in-memory broker for the query language: the inventory is filled directly and every
// provider's sync status says "synced", so queries never reach a cloud (no Redis needed).

type memSessions struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memSessions) Put(_ context.Context, id string, v []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = v
	return nil
}

func (s *memSessions) Get(_ context.Context, id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[id]; ok {
		return v, nil
	}
	return nil, model.Errorf(model.ErrNotFound, "no session %s", id)
}

func (s *memSessions) Delete(_ context.Context, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[id]
	delete(s.m, id)
	return ok, nil
}

// syncedStore is an InventoryStore whose providers all finished a sync; stale ones say so.
type syncedStore struct {
	providers []string
	stale     map[string]string // provider → last error
}

func (s syncedStore) Apply(context.Context, string, []inventory.Change) error { return nil }
func (s syncedStore) VM(context.Context, string) (model.VM, bool, error) {
	return model.VM{}, false, nil
}
func (s syncedStore) VMIDs(context.Context, string) ([]string, error)    { return nil, nil }
func (s syncedStore) SetStatus(context.Context, broker.SyncStatus) error { return nil }
func (s syncedStore) Statuses(context.Context) (map[string]broker.SyncStatus, error) {
	out := map[string]broker.SyncStatus{}
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, p := range s.providers {
		st := broker.SyncStatus{Provider: p, State: broker.SyncSynced, LastSync: at}
		if e, ok := s.stale[p]; ok {
			st.State, st.LastError = broker.SyncError, e
		}
		out[p] = st
	}
	return out, nil
}

// noTasks is a task queue that holds no task; the parts of broker.TaskQueue these tests never
// reach are left to the nil one it embeds.
type noTasks struct{ broker.TaskQueue }

func (noTasks) Submit(context.Context, broker.TaskSpec, ...broker.SubmitOption) (broker.Task, error) {
	return broker.Task{}, model.Errorf(model.ErrUnavailable, "no task queue in this test")
}
func (noTasks) Get(_ context.Context, id string) (broker.Task, error) {
	return broker.Task{}, model.Errorf(model.ErrNotFound, "task %s not found", id)
}
func (q noTasks) Wait(ctx context.Context, id string) (broker.Task, error) { return q.Get(ctx, id) }

// memBroker is a dialect server over an in-memory inventory.
type memBroker struct {
	handler http.Handler
}

var memProviders = []model.Provider{
	{Name: "vc1", Driver: "vcenter", Region: "r1"},
	{Name: "kvm1", Driver: "kvm", Region: "r2"},
}

// newMemBroker serves vms; tune may add to the dialect's options (a tag store) once the
// broker exists.
func newMemBroker(t testing.TB, vms []model.VM, stale map[string]string, tune ...func(*broker.Broker, *zstack.Options)) *memBroker {
	t.Helper()
	ix := inventory.NewIndex()
	for i := range vms {
		vms[i].ID = broker.VMUUID(vms[i].Provider, vms[i].NativeID)
	}
	ix.Reset(vms)
	var names []string
	for _, p := range memProviders {
		names = append(names, p.Name)
	}
	b := broker.New(broker.Options{Tasks: noTasks{}, Providers: broker.NewProviders(memProviders), Index: ix, Inventory: syncedStore{names, stale}})
	opts := zstack.Options{
		Sessions: &memSessions{m: map[string][]byte{}}, MaxBody: 1 << 20, Location: time.UTC,
		Accounts: []zstack.Account{
			{Name: "admin", PasswordSHA512: config.HashPassword(adminPass), AllProviders: true},
			{Name: "kvm-only", PasswordSHA512: config.HashPassword(passA), Providers: []string{"kvm1"}},
		},
	}
	for _, f := range tune {
		f(b, &opts)
	}
	srv := zstack.New(b, opts)
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	srv.Register(r, &adapters.Edge{})
	r.NoRoute(func(c *gin.Context) { zstack.Unrouted(c, http.StatusNotFound) })
	return &memBroker{handler: r}
}

// do runs one request through the handler.
func (m *memBroker) do(t testing.TB, method, target, session string, body string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if session != "" {
		req.Header.Set("Authorization", "OAuth "+session)
	}
	w := httptest.NewRecorder()
	m.handler.ServeHTTP(w, req)
	return response{Code: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
}

func (m *memBroker) login(t testing.TB, account, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"logInByAccount": map[string]string{"accountName": account, "password": config.HashPassword(password)}})
	res := m.do(t, http.MethodPut, "/zstack/v1/accounts/login", "", string(body))
	if res.Code != http.StatusOK {
		t.Fatalf("login: %d %s", res.Code, res.Body)
	}
	var s struct{ Inventory struct{ UUID string } }
	json.Unmarshal(res.Body, &s)
	return s.Inventory.UUID
}

const gib = int64(1) << 30

// fixtureVMs are five VMs and a template on two providers, with every kind of field set.
func fixtureVMs() []model.VM {
	day := func(m time.Month) time.Time { return time.Date(2024, m, 1, 0, 0, 0, 0, time.UTC) }
	return []model.VM{
		{Provider: "vc1", NativeID: "vm-1", Name: "web-1", PowerState: model.PoweredOn, CPUs: 2, MemoryMB: 2048, GuestOS: "Ubuntu Linux (64-bit)", HostID: "host-1",
			NICs:      []model.NIC{{MAC: "00:50:56:00:00:01", IPs: []string{"10.0.0.1", "fe80::1"}, Network: "VM Network", Device: "Network adapter 1"}},
			Disks:     []model.Disk{{Key: 2000, Label: "Hard disk 1", CapacityBytes: 10 * gib, FileName: "[ds1] web-1/web-1.vmdk", Format: "vmdk", UUID: "6000c298-1111-2222-3333-444455556666"}},
			CreatedAt: day(1)},
		{Provider: "vc1", NativeID: "vm-2", Name: "web-2", PowerState: model.PoweredOff, CPUs: 4, MemoryMB: 4096, HostID: "host-1",
			NICs:      []model.NIC{{MAC: "00:50:56:00:00:02", IPs: []string{"10.0.0.2"}, Network: "VM Network"}},
			Disks:     []model.Disk{{Label: "Hard disk 1", CapacityBytes: 10 * gib, FileName: "[ds1] web-2/web-2.vmdk", Format: "vmdk"}, {Key: 1, Label: "Hard disk 2", CapacityBytes: 50 * gib, FileName: "[ds2] web-2/data.vmdk", Format: "vmdk"}},
			CreatedAt: day(2)},
		{Provider: "kvm1", NativeID: "0b0f6d2e-0000-4000-8000-000000000003", Name: "db-1", PowerState: model.PoweredOn, CPUs: 8, MemoryMB: 16384, GuestOS: "centos7",
			NICs:      []model.NIC{{MAC: "52:54:00:00:00:03", IPs: []string{"10.0.1.3"}, Network: "default", Device: "vnet0"}},
			Disks:     []model.Disk{{Label: "vda", CapacityBytes: 100 * gib, FileName: "/var/lib/libvirt/images/db-1.qcow2", Format: "qcow2", Target: "vda"}},
			CreatedAt: day(3)},
		{Provider: "kvm1", NativeID: "0b0f6d2e-0000-4000-8000-000000000004", Name: "IntelCoreI7", PowerState: model.Suspended, CPUs: 1, MemoryMB: 512},
		{Provider: "kvm1", NativeID: "0b0f6d2e-0000-4000-8000-000000000005", Name: "IntelCoreM7", PowerState: model.PowerUnknown, CPUs: 1, MemoryMB: 1024},
		{Provider: "vc1", NativeID: "vm-9", Name: "tmpl", PowerState: model.PoweredOff, Template: true, CPUs: 1, MemoryMB: 1024},
	}
}

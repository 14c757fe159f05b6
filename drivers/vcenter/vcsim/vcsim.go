// Package vcsim starts an in-process vCenter simulator (govmomi's simulator.VPX model) for
// demos and end-to-end tests: `make run` and test/ use it where no real vCenter exists.
//
//	sim, err := vcsim.Start(vcsim.WithVMs(10))
//	defer sim.Close()
//	conn, err := drivers.Open(ctx, "vcenter", sim.Config("demo")) // with _ "cloudbroker/drivers/vcenter"
//
// The VPX model holds one datacenter DC0 with a standalone host, a three-host cluster DC0_C0,
// one datastore LocalDS_0 (a real temporary directory) and four VMs: DC0_H0_VM0, DC0_H0_VM1,
// DC0_C0_RP0_VM0 and DC0_C0_RP0_VM1, each with one disk. WithVMs clones more through the API;
// WithBulkVMs writes thousands straight into the model.
package vcsim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/drivers"
)

// Default credentials: with no WithCredentials option the simulator accepts any non-empty
// user and password, and URL/Config carry these.
const (
	DefaultUser     = "user"
	DefaultPassword = "pass"
)

// Option configures Start.
type Option func(*config)

type config struct {
	vms, hosts, dcs int
	bulk            int
	user, password  string
	strict          bool
	handshakes      *atomic.Int64
}

// WithVMs adds n powered-on VMs (clones of DC0_H0_VM0 named DC0_EXTRA_VM1 ... DC0_EXTRA_VMn)
// to the model's four, cloned through the API one at a time (about 40 ms each, and Start gives
// up after a minute): fine for tens of VMs. For thousands use WithBulkVMs.
func WithVMs(n int) Option { return func(c *config) { c.vms = n } }

// WithHosts sets the number of hosts in each datacenter's cluster DCn_C0 (the model's default
// is 3; the standalone host DCn_H0 always exists besides).
func WithHosts(n int) Option { return func(c *config) { c.hosts = n } }

// WithDatacenters sets the number of datacenters (DC0, DC1, ...), each a copy of DC0's layout
// with its own hosts, VMs and datastore.
func WithDatacenters(n int) Option { return func(c *config) { c.dcs = n } }

// WithCredentials makes the simulator accept only this user and password.
func WithCredentials(user, password string) Option {
	return func(c *config) { c.user, c.password, c.strict = user, password, true }
}

// WithHandshakeCounter counts every TLS handshake the simulator serves into n: each one is a
// connection a client could not reuse.
func WithHandshakeCounter(n *atomic.Int64) Option { return func(c *config) { c.handshakes = n } }

// Sim is a running simulator. Its methods are safe for concurrent use.
type Sim struct {
	model  *simulator.Model
	server *simulator.Server
	url    url.URL           // https://user:pass@127.0.0.1:port/sdk
	dsDirs map[string]string // datastore name -> local directory
	proc   *process          // the simulator's process (StartProcess); nil when in this one
	once   sync.Once
}

// Start creates the model and serves it over HTTPS (self-signed, so clients need Insecure) on
// 127.0.0.1 with a random port.
func Start(opts ...Option) (sim *Sim, err error) {
	cfg := config{user: DefaultUser, password: DefaultPassword}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.vms < 0 || cfg.hosts < 0 || cfg.dcs < 0 || cfg.bulk < 0 {
		return nil, errors.New("vcsim: negative count")
	}
	m := simulator.VPX()
	if cfg.hosts > 0 {
		m.ClusterHost = cfg.hosts
	}
	if cfg.dcs > 0 {
		m.Datacenter = cfg.dcs
	}
	if err := create(m); err != nil {
		m.Remove()
		return nil, fmt.Errorf("vcsim: create model: %w", err)
	}
	if cfg.bulk > 0 {
		if err := addBulkVMs(m, cfg.bulk); err != nil {
			m.Remove()
			return nil, err
		}
	}
	// NewServer panics when it cannot listen; turn that into an error.
	defer func() {
		if r := recover(); r != nil {
			m.Remove()
			sim, err = nil, fmt.Errorf("vcsim: start server: %v", r)
		}
	}()
	dirs := datastoreDirs(m.Map())
	m.Service.TLS = new(tls.Config)
	if n := cfg.handshakes; n != nil {
		m.Service.TLS.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
			n.Add(1)
			return nil, nil // the server's own config
		}
	}
	m.Service.Listen = &url.URL{Host: "127.0.0.1:0"}
	if cfg.strict {
		m.Service.Listen.User = url.UserPassword(cfg.user, cfg.password)
	}
	srv := m.Service.NewServer()
	s := &Sim{model: m, server: srv, url: *srv.URL, dsDirs: dirs}
	s.url.User = url.UserPassword(cfg.user, cfg.password)
	if cfg.vms > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.addVMs(ctx, cfg.vms); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// createMu serializes Model.Create: in govmomi v0.56.0 it appends to the package-level
// simulator.EvalLicense, so two simulators created at once race (the race detector sees it
// when tests start simulators in parallel).
var createMu sync.Mutex

func create(m *simulator.Model) error {
	createMu.Lock()
	defer createMu.Unlock()
	return m.Create()
}

// URL returns the SDK URL with the credentials in it.
func (s *Sim) URL() *url.URL {
	u := s.url
	return &u
}

// Config returns a drivers.Config for the "vcenter" driver pointing at the simulator.
func (s *Sim) Config(name string) drivers.Config {
	u := s.URL()
	pass, _ := u.User.Password()
	user := u.User.Username()
	u.User = nil
	return drivers.Config{Name: name, URL: u.String(), Username: user, Password: pass, Insecure: true}
}

// Model exposes the underlying simulator model for tests that need to reach behind the API;
// nil for a simulator in another process (StartProcess).
func (s *Sim) Model() *simulator.Model { return s.model }

// Close stops the server and removes the datastore directories. It is safe to call twice.
func (s *Sim) Close() {
	s.once.Do(func() {
		if s.proc != nil {
			s.proc.stop()
			return
		}
		s.server.Close()
		s.model.Remove()
	})
}

// datastoreDirs maps "DC1/LocalDS_0" and the bare name "LocalDS_0" (DC0's where every
// datacenter has one) to the local directory behind the datastore. It runs before the server
// starts, so reading the registry cannot race with requests.
func datastoreDirs(r *simulator.Registry) map[string]string {
	dirs := map[string]string{}
	for _, e := range r.All("Datastore") {
		ds := e.(*simulator.Datastore)
		dir := ds.Info.GetDatastoreInfo().Url
		dc := ""
		for p := ds.Parent; p != nil; {
			ent, ok := r.Get(*p).(mo.Entity)
			if !ok {
				break
			}
			if p.Type == "Datacenter" {
				dc = ent.Entity().Name
				break
			}
			p = ent.Entity().Parent
		}
		dirs[dc+"/"+ds.Name] = dir
		if _, taken := dirs[ds.Name]; !taken || dc == "DC0" {
			dirs[ds.Name] = dir
		}
	}
	return dirs
}

// DatastoreDir returns the local directory backing a datastore: "LocalDS_0" (in DC0) or
// "DC1/LocalDS_0".
func (s *Sim) DatastoreDir(name string) (string, bool) {
	d, ok := s.dsDirs[name]
	return d, ok
}

// AddISO writes an ISO 9660 image of size bytes (at least 34 KiB, so it holds a volume
// descriptor) at rel inside datastore ds (named as for DatastoreDir), and returns its
// datastore path "[LocalDS_0] rel".
func (s *Sim) AddISO(ds, rel string, size int64) (string, error) {
	dir, ok := s.dsDirs[ds]
	if !ok {
		return "", fmt.Errorf("vcsim: no datastore %q", ds)
	}
	const pvd = 16 * 2048 // the primary volume descriptor lives in sector 16
	size = max(size, pvd+2048)
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	b := make([]byte, size)
	copy(b[pvd:], append([]byte{1}, "CD001\x01"...))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		return "", err
	}
	return fmt.Sprintf("[%s] %s", path.Base(ds), filepath.ToSlash(rel)), nil
}

// VMID returns the managed object id ("vm-62") of the VM with this name, in any datacenter.
func (s *Sim) VMID(ctx context.Context, name string) (string, error) {
	var id string
	err := s.with(ctx, func(c *govmomi.Client) error {
		v, err := view.NewManager(c.Client).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
		if err != nil {
			return err
		}
		defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
		refs, err := v.Find(ctx, []string{"VirtualMachine"}, property.Match{"name": name})
		if err != nil {
			return err
		}
		if len(refs) != 1 {
			return fmt.Errorf("vcsim: %d VMs named %q", len(refs), name)
		}
		id = refs[0].Value
		return nil
	})
	return id, err
}

// DropSessions terminates every session but its own, as an administrator or a vpxd restart
// would, and reports how many it ended. Clients must log in again to continue.
func (s *Sim) DropSessions(ctx context.Context) (int, error) {
	n := 0
	err := s.with(ctx, func(c *govmomi.Client) error {
		var sm mo.SessionManager
		if err := c.RetrieveOne(ctx, *c.ServiceContent.SessionManager, []string{"sessionList", "currentSession"}, &sm); err != nil {
			return err
		}
		var ids []string
		for _, us := range sm.SessionList {
			if sm.CurrentSession == nil || us.Key != sm.CurrentSession.Key {
				ids = append(ids, us.Key)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		n = len(ids)
		return c.SessionManager.TerminateSession(ctx, ids)
	})
	return n, err
}

func (s *Sim) addVMs(ctx context.Context, n int) error {
	return s.with(ctx, func(c *govmomi.Client) error {
		src, err := find.NewFinder(c.Client).VirtualMachine(ctx, "/DC0/vm/DC0_H0_VM0")
		if err != nil {
			return err
		}
		var props mo.VirtualMachine
		if err := src.Properties(ctx, src.Reference(), []string{"parent", "resourcePool"}, &props); err != nil {
			return err
		}
		folder := object.NewFolder(c.Client, *props.Parent)
		spec := types.VirtualMachineCloneSpec{
			Location: types.VirtualMachineRelocateSpec{Pool: props.ResourcePool},
			PowerOn:  true,
		}
		for i := 1; i <= n; i++ {
			task, err := src.Clone(ctx, folder, fmt.Sprintf("DC0_EXTRA_VM%d", i), spec)
			if err == nil {
				err = task.Wait(ctx)
			}
			if err != nil {
				return fmt.Errorf("vcsim: add vm %d: %w", i, err)
			}
		}
		return nil
	})
}

// with runs f on a fresh logged-in client and logs it out afterwards.
func (s *Sim) with(ctx context.Context, f func(*govmomi.Client) error) error {
	c, err := govmomi.NewClient(ctx, s.URL(), true)
	if err != nil {
		return fmt.Errorf("vcsim: login: %w", err)
	}
	defer func() { _ = c.Logout(context.WithoutCancel(ctx)) }()
	return f(c)
}

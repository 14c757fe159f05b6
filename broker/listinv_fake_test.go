package broker_test

import (
	"context"
	"fmt"
	"sync"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// infraFake is a driver that lists images, hosts, networks and storage (what issue 16's
// queries read), counting its listings, so a test sees which requests reached the provider.
// The vCenter and KVM drivers' network and storage listings come with their own tests.
const infraFake = "listinv-fake"

func init() { drivers.RegisterOpener(infraFake, openInfra) }

// infraState is one fake provider's, by provider name; a test names its providers uniquely.
type infraState struct {
	mu    sync.Mutex
	calls map[broker.ListKind]int
	fail  bool
}

var infras sync.Map // provider name → *infraState

// fakeInfra makes the provider's state afresh, failing when fail is set.
func fakeInfra(provider string, fail bool) *infraState {
	s := &infraState{calls: map[broker.ListKind]int{}, fail: fail}
	infras.Store(provider, s)
	return s
}

func (s *infraState) count(k broker.ListKind) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[k]
}

// counts is every kind's listings so far.
func (s *infraState) counts() map[broker.ListKind]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[broker.ListKind]int{}
	for k, n := range s.calls {
		out[k] = n
	}
	return out
}

type infraConn struct{ provider string }

func openInfra(_ context.Context, cfg drivers.Config) (*infraConn, error) {
	return &infraConn{provider: cfg.Name}, nil
}

func (*infraConn) Ping(context.Context) error { return nil }
func (*infraConn) Close() error               { return nil }

// listed counts a listing of kind k and answers its failure, if the provider fails.
func (c *infraConn) listed(k broker.ListKind) error {
	v, _ := infras.Load(c.provider)
	s := v.(*infraState)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[k]++
	if s.fail {
		return fmt.Errorf("fake %s down: %w", c.provider, model.ErrUnavailable)
	}
	return nil
}

func (c *infraConn) ListImages(context.Context) ([]model.Image, error) {
	return []model.Image{{NativeID: "img-1", Name: "img-" + c.provider}}, c.listed(broker.ListImages)
}

func (c *infraConn) ListHosts(context.Context) ([]model.Host, error) {
	return []model.Host{{NativeID: "host-1", Name: "esx-" + c.provider, CPUs: 8, MemoryBytes: 1 << 34}}, c.listed(broker.ListHosts)
}

func (c *infraConn) ListNetworks(context.Context) ([]model.Network, error) {
	return []model.Network{{NativeID: "net-1", Name: "net-" + c.provider, Active: true}}, c.listed(broker.ListNetworks)
}

func (c *infraConn) ListStorage(context.Context) ([]model.Storage, error) {
	return []model.Storage{{NativeID: "ds-1", Name: "ds-" + c.provider, CapacityBytes: 1 << 40, Active: true}}, c.listed(broker.ListStorage)
}

var (
	_ drivers.ImageCatalog     = (*infraConn)(nil)
	_ drivers.CapacityReporter = (*infraConn)(nil)
	_ drivers.NetworkLister    = (*infraConn)(nil)
	_ drivers.StorageLister    = (*infraConn)(nil)
)

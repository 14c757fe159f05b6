package vcenter_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/vcenter"
	"cloudbroker/drivers/vcenter/vcsim"
)

func TestUnknownVMIsNotFound(t *testing.T) {
	t.Parallel()
	c := openConn(t, startSim(t))
	const id = "vm-404404"
	tests := []struct {
		name string
		call func(context.Context) error
	}{
		{"ListDisks", func(ctx context.Context) error { _, err := c.ListDisks(ctx, id); return err }},
		{"SetPower/start", func(ctx context.Context) error { return c.SetPower(ctx, id, model.PowerOn) }},
		{"SetPower/stop", func(ctx context.Context) error { return c.SetPower(ctx, id, model.PowerOff) }},
		{"SetPower/reboot", func(ctx context.Context) error { return c.SetPower(ctx, id, model.Reboot) }},
		{"Clone", func(ctx context.Context) error {
			_, err := c.Clone(ctx, id, drivers.CloneSpec{Name: "x"})
			return err
		}},
		{"ListISOs", func(ctx context.Context) error { _, err := c.ListISOs(ctx, id); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(testContext(t))
			if !errors.Is(err, model.ErrNotFound) {
				t.Fatalf("error = %v, want one wrapping model.ErrNotFound", err)
			}
			if !strings.Contains(err.Error(), id) {
				t.Errorf("error %q does not name the VM %s", err, id)
			}
		})
	}
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// silentPort accepts connections and never answers, like a host behind a dropping firewall.
func silentPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	strict := startSim(t, vcsim.WithCredentials("admin", "s3cret"))
	good := strict.Config("strict")
	withURLUser := func(user, pass string) string {
		u, _ := url.Parse(good.URL)
		u.User = url.UserPassword(user, pass)
		return u.String()
	}
	tests := []struct {
		name string
		cfg  drivers.Config
		want error // nil: Open must succeed
	}{
		{"credentials in config", good, nil},
		{"credentials in URL", drivers.Config{URL: withURLUser("admin", "s3cret"), Insecure: true}, nil},
		{"host:port only", drivers.Config{URL: hostPort(good.URL), Username: "admin", Password: "s3cret", Insecure: true}, nil},
		{"config credentials win over URL", drivers.Config{URL: withURLUser("admin", "wrong"), Username: "admin", Password: "s3cret", Insecure: true}, nil},
		{"wrong password", drivers.Config{URL: good.URL, Username: "admin", Password: "wrong", Insecure: true}, model.ErrUnauthorized},
		{"wrong password in URL", drivers.Config{URL: withURLUser("admin", "wrong"), Insecure: true}, model.ErrUnauthorized},
		{"no username", drivers.Config{URL: good.URL, Insecure: true}, model.ErrUnauthorized},
		{"empty URL", drivers.Config{Username: "admin", Password: "x"}, model.ErrInvalid},
		{"bad keepalive option", withOptions(good, vcenter.OptKeepAlive, "often"), model.ErrInvalid},
		{"bad watch page size", withOptions(good, vcenter.OptWatchPageSize, "0"), model.ErrInvalid},
		{"bad watch max wait", withOptions(good, vcenter.OptWatchMaxWait, "500ms"), model.ErrInvalid},
		{"watch options", withOptions(good, vcenter.OptWatchPageSize, "100", vcenter.OptWatchMaxWait, "2s"), nil},
		{"unknown datacenter", withOptions(good, vcenter.OptDatacenter, "DC9"), model.ErrNotFound},
		{"known datacenter", withOptions(good, vcenter.OptDatacenter, "DC0"), nil},
		{"closed port", drivers.Config{URL: "https://" + closedPort(t) + "/sdk", Username: "u", Password: "p", Insecure: true}, model.ErrUnavailable},
		{"silent port", drivers.Config{URL: "https://" + silentPort(t) + "/sdk", Username: "u", Password: "p", Insecure: true, Timeout: 300 * time.Millisecond}, model.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			c, err := vcenter.Open(testContext(t), tt.cfg)
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("Open took %v; failures must be quick", elapsed)
			}
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				_ = c.Close()
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want one wrapping %v", err, tt.want)
			}
			t.Logf("error: %v", err)
			if c != nil {
				t.Errorf("Open returned a connection with its error")
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "wrong") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

// hostPort strips a URL to "host:port"; Open must supply https:// and /sdk itself.
func hostPort(raw string) string {
	u, _ := url.Parse(raw)
	return u.Host
}

func withOptions(cfg drivers.Config, kv ...string) drivers.Config {
	cfg.Options = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg.Options[kv[i]] = kv[i+1]
	}
	return cfg
}

func TestRegisteredDriver(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	conn, err := drivers.Open(testContext(t), vcenter.DriverName, sim.Config("by-name"))
	if err != nil {
		t.Fatalf("drivers.Open: %v", err)
	}
	defer conn.Close()
	if err := conn.Ping(testContext(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	_, err = drivers.Open(testContext(t), vcenter.DriverName, drivers.Config{URL: "https://" + closedPort(t), Username: "u"})
	if !errors.Is(err, model.ErrUnavailable) {
		t.Fatalf("drivers.Open(closed port) error = %v, want ErrUnavailable", err)
	}
}

func TestOperationErrors(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	c := openConn(t, sim)
	vm := vmID(t, sim, fixtureVM)
	tests := []struct {
		name string
		call func(context.Context) error
		want error // nil: must succeed
	}{
		{"unknown power op", func(ctx context.Context) error { return c.SetPower(ctx, vm, "hibernate") }, model.ErrInvalid},
		{"empty vm id", func(ctx context.Context) error { _, err := c.ListDisks(ctx, ""); return err }, model.ErrInvalid},
		{"clone without name", func(ctx context.Context) error {
			_, err := c.Clone(ctx, vm, drivers.CloneSpec{})
			return err
		}, model.ErrInvalid},
		{"clone onto an existing name", func(ctx context.Context) error {
			_, err := c.Clone(ctx, vm, drivers.CloneSpec{Name: "DC0_H0_VM1"})
			return err
		}, model.ErrConflict},
		// Order matters below: the VM starts powered on.
		{"start when on", func(ctx context.Context) error { return c.SetPower(ctx, vm, model.PowerOn) }, nil},
		{"stop", func(ctx context.Context) error { return c.SetPower(ctx, vm, model.PowerOff) }, nil},
		{"stop when off", func(ctx context.Context) error { return c.SetPower(ctx, vm, model.PowerOff) }, nil},
		{"reboot when off", func(ctx context.Context) error { return c.SetPower(ctx, vm, model.Reboot) }, model.ErrConflict},
		{"start", func(ctx context.Context) error { return c.SetPower(ctx, vm, model.PowerOn) }, nil},
		{"reboot", func(ctx context.Context) error { return c.SetPower(ctx, vm, model.Reboot) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(testContext(t))
			if tt.want == nil && err != nil {
				t.Fatalf("error = %v, want success", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want one wrapping %v", err, tt.want)
			}
		})
	}
}

func TestEndpointGoneIsUnavailable(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	c := openConn(t, sim)
	sim.Close()
	start := time.Now()
	_, err := c.ListVMs(testContext(t))
	if !errors.Is(err, model.ErrUnavailable) {
		t.Fatalf("ListVMs after the endpoint stopped: error = %v, want ErrUnavailable", err)
	}
	if err := c.Ping(testContext(t)); !errors.Is(err, model.ErrUnavailable) {
		t.Fatalf("Ping after the endpoint stopped: error = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failing calls took %v", d)
	}
	if err := c.Close(); !errors.Is(err, model.ErrUnavailable) {
		t.Errorf("Close with the endpoint gone: error = %v, want ErrUnavailable (logout failed)", err)
	}
	if _, err := c.ListVMs(testContext(t)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("ListVMs after Close: error = %v, want net.ErrClosed", err)
	}
}

func TestCloseIsFinal(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	c, err := vcenter.Open(testContext(t), sim.Config("closing"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// ListDisks is a PropertyCollector read, which vcsim serves even without a session: the
	// driver itself must refuse it.
	_, err = c.ListDisks(testContext(t), vmID(t, sim, fixtureVM))
	if !errors.Is(err, net.ErrClosed) {
		t.Fatalf("ListDisks after Close: error = %v, want one wrapping net.ErrClosed", err)
	}
	if n, err := sim.DropSessions(testContext(t)); err != nil || n != 0 {
		t.Errorf("sessions left after Close = %d (%v), want 0: Close must log out", n, err)
	}
}

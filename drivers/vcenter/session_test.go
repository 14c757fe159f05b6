package vcenter_test

import (
	"context"
	"testing"
	"time"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/vcenter"
)

// TestSessionDropRecovery ends the driver's session behind its back before each call, as an
// administrator or a vpxd restart would; every call must still succeed by logging in again.
func TestSessionDropRecovery(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	c := openConn(t, sim)
	vm := vmID(t, sim, fixtureVM)
	if _, err := sim.AddISO("LocalDS_0", "drop.iso", 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func(context.Context) error
	}{
		{"Ping", c.Ping},
		{"ListVMs", func(ctx context.Context) error { _, err := c.ListVMs(ctx); return err }},
		// vcsim answers property reads without a session, flagging each property NotAuthenticated
		// in MissingSet instead of failing the call: a path the SOAP round tripper never sees.
		{"ListDisks", func(ctx context.Context) error { _, err := c.ListDisks(ctx, vm); return err }},
		{"ListHosts", func(ctx context.Context) error { _, err := c.ListHosts(ctx); return err }},
		{"ListImages", func(ctx context.Context) error { _, err := c.ListImages(ctx); return err }},
		{"ListISOs", func(ctx context.Context) error { _, err := c.ListISOs(ctx, vm); return err }},
		{"SetPower", func(ctx context.Context) error { return c.SetPower(ctx, vm, model.Reboot) }},
		{"Clone", func(ctx context.Context) error {
			_, err := c.Clone(ctx, vm, drivers.CloneSpec{Name: "after-drop"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			if n, err := sim.DropSessions(ctx); err != nil || n != 1 {
				t.Fatalf("DropSessions = %d, %v; want the driver's one session ended", n, err)
			}
			if err := tt.call(ctx); err != nil {
				t.Fatalf("%s after the session was dropped: %v", tt.name, err)
			}
		})
	}
}

// TestSessionDropConcurrent drops the session under many goroutines at once; they must all
// succeed, sharing one re-login.
func TestSessionDropConcurrent(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	c := openConn(t, sim)
	vm := vmID(t, sim, fixtureVM)
	ctx := testContext(t)
	if _, err := sim.DropSessions(ctx); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 16)
	for range cap(errs) {
		go func() {
			_, err := c.ListDisks(ctx, vm)
			if err == nil {
				_, err = c.ListVMs(ctx)
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("call after drop: %v", err)
		}
	}
	if n, err := sim.DropSessions(ctx); err != nil || n != 1 {
		t.Errorf("sessions after concurrent re-login = %d (%v), want exactly 1", n, err)
	}
}

// TestKeepAliveRestoresSession: with a short keepalive, an idle connection re-establishes a
// dropped session by itself, before any user call needs it.
func TestKeepAliveRestoresSession(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	cfg := withOptions(sim.Config("ka"), vcenter.OptKeepAlive, "50ms")
	c, err := vcenter.Open(testContext(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx := testContext(t)
	if n, err := sim.DropSessions(ctx); err != nil || n != 1 {
		t.Fatalf("DropSessions = %d, %v", n, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		time.Sleep(100 * time.Millisecond)
		n, err := sim.DropSessions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return // the keepalive logged in again
		}
		if time.Now().After(deadline) {
			t.Fatal("keepalive did not re-establish the session within 5s")
		}
	}
}

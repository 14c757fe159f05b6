package kvm_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/kvm"
)

// openVia opens the fixture host through proxy p with the given per-call timeout.
func openVia(t *testing.T, p *proxy, timeout time.Duration) *kvm.Conn {
	t.Helper()
	c, err := drivers.Open(ctx(t), "kvm", drivers.Config{
		Name: "lab", URL: nodeURI(t), Timeout: timeout, Options: map[string]string{kvm.OptSocket: p.path},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*kvm.Conn)
}

func TestReconnectAfterDrop(t *testing.T) {
	requireDaemon(t)
	p := startProxy(t, kvm.DefaultSocket)
	c := openVia(t, p, 10*time.Second)
	if err := c.SetPower(ctx(t), web1UUID, model.PowerOff); err != nil {
		t.Fatal(err)
	}
	p.drop()
	// The driver learns of the drop from go-libvirt's Disconnected channel, asynchronously: a
	// call racing it may fail once with ErrUnavailable; the next one must redial.
	var err error
	for range 2 {
		if err = c.Ping(ctx(t)); err == nil || !errors.Is(err, model.ErrUnavailable) {
			break
		}
	}
	if err != nil {
		t.Fatalf("Ping after drop: %v", err)
	}
	if n := p.connections(); n != 2 {
		t.Errorf("proxy saw %d connections, want 2 (one redial)", n)
	}
	// A redial opens a fresh copy of the node file: web-1 is running again. (On qemu:///system
	// the state lives in the daemon and survives.)
	if got := powerOf(t, c, web1UUID); got != model.PoweredOn {
		t.Errorf("after redial web-1 is %s, want the node file's %s", got, model.PoweredOn)
	}
}

func TestCallInFlightWhenConnectionDrops(t *testing.T) {
	requireDaemon(t)
	p := startProxy(t, kvm.DefaultSocket)
	c := openVia(t, p, 10*time.Second)
	p.freeze()
	errc := make(chan error, 1)
	go func() { errc <- c.Ping(context.Background()) }()
	<-p.held // the request is on the wire
	p.drop()
	if err := <-errc; !errors.Is(err, model.ErrUnavailable) {
		t.Fatalf("Ping cut off mid-call error = %v, want ErrUnavailable", err)
	}
	p.unfreeze()
	if err := c.Ping(ctx(t)); err != nil {
		t.Fatalf("Ping after the drop: %v", err)
	}
	if n := p.connections(); n != 2 {
		t.Errorf("proxy saw %d connections, want 2", n)
	}
}

func TestCallTimeout(t *testing.T) {
	requireDaemon(t)
	tests := []struct {
		name    string
		timeout time.Duration // Config.Timeout: the per-call cap
		ctx     time.Duration // the caller's deadline; 0 for none
	}{
		{"caller deadline", 10 * time.Second, 300 * time.Millisecond},
		{"per-call cap", 300 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startProxy(t, kvm.DefaultSocket)
			c := openVia(t, p, tt.timeout)
			p.freeze()
			cx := context.Background()
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				cx, cancel = context.WithTimeout(cx, tt.ctx)
				defer cancel()
			}
			start := time.Now()
			if err := c.Ping(cx); !errors.Is(err, model.ErrTimeout) {
				t.Fatalf("Ping to a stalled daemon error = %v, want ErrTimeout", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Ping gave up after %v, want about 300ms", d)
			}
			// A slow call does not cost the connection: it serves the next call once unstuck.
			p.unfreeze()
			if err := c.Ping(ctx(t)); err != nil {
				t.Fatalf("Ping after thaw: %v", err)
			}
			if n := p.connections(); n != 1 {
				t.Errorf("proxy saw %d connections, want 1", n)
			}
		})
	}
}

// TestHandshakeBounded: a peer that accepts but never speaks fails Open within the timeout.
func TestHandshakeBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "silent.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	_, err = drivers.Open(ctx(t), "kvm", drivers.Config{
		Name: "lab", URL: "qemu:///system", Timeout: 300 * time.Millisecond, Options: map[string]string{kvm.OptSocket: path},
	})
	if !errors.Is(err, model.ErrUnavailable) {
		t.Fatalf("Open against a silent peer error = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Open gave up after %v, want about 300ms", d)
	}
}

// TestConcurrentCallsAcrossDrop: many callers share one Conn while the socket is cut under
// them; each call either succeeds or fails with ErrUnavailable, and the Conn recovers.
func TestConcurrentCallsAcrossDrop(t *testing.T) {
	requireDaemon(t)
	p := startProxy(t, kvm.DefaultSocket)
	c := openVia(t, p, 10*time.Second)
	errc := make(chan error, 8*20)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				if g == 0 && i == 10 {
					p.drop()
				}
				_, err := c.ListDisks(context.Background(), web1UUID)
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	failed := 0
	for err := range errc {
		if err != nil {
			failed++
			if !errors.Is(err, model.ErrUnavailable) {
				t.Errorf("call across the drop error = %v, want nil or ErrUnavailable", err)
			}
		}
	}
	if _, err := c.ListDisks(ctx(t), web1UUID); err != nil {
		t.Fatalf("ListDisks after the drop: %v", err)
	}
	t.Logf("%d of %d calls failed across the drop; %d connections", failed, 8*20, p.connections())
}

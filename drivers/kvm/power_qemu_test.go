package kvm_test

import (
	"bytes"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/kvm"
	"cloudbroker/drivers/kvm/kvmtest"
)

// TestQEMUGuestPowerFallback runs grace stop and guest reboot on a real TCG guest. The guest has
// no OS (it sits in the BIOS), so it ignores the ACPI requests: both wait the bound
// (shutdown_timeout) and then force, which libvirt's own event stream shows as a destroy and
// a reset, while cold stop destroys at once.
func TestQEMUGuestPowerFallback(t *testing.T) {
	g := kvmtest.NewGuest(t)
	const bound = 2 * time.Second
	k := openGuest(t, g, bound)
	ev := virshEvents(t, g.Name)

	steps := []struct {
		op         model.PowerOp
		want       drivers.PowerOutcome
		minTook    time.Duration
		wantEvents []string // virsh event lines (domain name cut) that must follow, in order
	}{
		{model.PowerOn, drivers.PowerOutcome{How: "powered on"}, 0, []string{"lifecycle: Started Booted"}},
		{model.Reboot, drivers.PowerOutcome{How: "reset after 2s: the guest did not reboot", Forced: true}, bound, []string{"reboot"}},
		{model.Shutdown, drivers.PowerOutcome{How: "forced off after 2s: the guest did not shut down", Forced: true}, bound, []string{"lifecycle: Stopped Destroyed"}},
		{model.PowerOn, drivers.PowerOutcome{How: "powered on"}, 0, []string{"lifecycle: Started Booted"}},
		{model.PowerOff, drivers.PowerOutcome{How: "forced off"}, 0, []string{"lifecycle: Stopped Destroyed"}},
	}
	for _, s := range steps {
		took := powerStep(t, k, g, ev, s.op, s.want, s.wantEvents)
		if took < s.minTook {
			t.Errorf("Power(%s) took %v, want the whole bound %v first", s.op, took, s.minTook)
		}
	}
}

// powerStep runs one power operation on guest g and checks its outcome and the libvirt events
// that follow it; it returns how long the operation took, for the caller's bound.
func powerStep(t *testing.T, k *kvm.Conn, g *kvmtest.Guest, ev *eventLog, op model.PowerOp, want drivers.PowerOutcome, wantEvents []string) time.Duration {
	t.Helper()
	start := time.Now()
	got, err := k.Power(ctx(t), g.UUID, op)
	took := time.Since(start)
	t.Logf("%s: %q (forced %v) in %v", op, got.How, got.Forced, took.Round(time.Millisecond))
	if err != nil {
		t.Fatalf("Power(%s): %v", op, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Power(%s) outcome (-want +got):\n%s", op, diff)
	}
	if diff := cmp.Diff(wantEvents, ev.seen(t, wantEvents)); diff != "" {
		t.Errorf("libvirt events after %s (-want +got):\n%s", op, diff)
	}
	return took
}

// eventLog is `virsh event --all --loop` on one domain, read line by line.
type eventLog struct {
	mu    sync.Mutex
	out   bytes.Buffer
	taken int
}

func virshEvents(t *testing.T, dom string) *eventLog {
	t.Helper()
	l := &eventLog{}
	cmd := exec.Command("virsh", "-c", kvmtest.URI, "event", "--domain", dom, "--all", "--loop")
	cmd.Stdout = writerFunc(func(p []byte) (int, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.out.Write(p)
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	time.Sleep(500 * time.Millisecond) // let virsh register before the first operation
	return l
}

// seen waits (up to 10s) until the events since the last call include want, in order, and
// returns those events as "kind: detail" without the domain's name (all of them if want never
// completes, for the failure message).
func (l *eventLog) seen(t *testing.T, want []string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		var lines []string
		for _, line := range strings.Split(l.out.String(), "\n") {
			if strings.HasPrefix(line, "event '") {
				lines = append(lines, eventLine(line))
			}
		}
		l.mu.Unlock()
		fresh := lines[l.taken:]
		if end, ok := subsequence(fresh, want); ok || time.Now().After(deadline) {
			if !ok {
				return fresh
			}
			l.taken += end
			return want
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// subsequence reports whether want occurs in got in order, and where its last item is (+1).
func subsequence(got, want []string) (end int, ok bool) {
	i := 0
	for j, g := range got {
		if i < len(want) && g == want[i] {
			i++
			end = j + 1
		}
	}
	return end, i == len(want)
}

// eventLine turns "event 'lifecycle' for domain 'x': Stopped Destroyed" into
// "lifecycle: Stopped Destroyed" and "event 'reboot' for domain 'x'" into "reboot".
func eventLine(line string) string {
	kind, rest, _ := strings.Cut(strings.TrimPrefix(line, "event '"), "'")
	if _, detail, ok := strings.Cut(rest, ": "); ok {
		return kind + ": " + strings.TrimSpace(detail)
	}
	return kind
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// openGuest connects to the real libvirtd for guest g with a grace bound; closed with the test.
func openGuest(t *testing.T, g *kvmtest.Guest, bound time.Duration) *kvm.Conn {
	t.Helper()
	c, err := drivers.Open(ctx(t), "kvm", drivers.Config{
		Name: "qemu-lab", URL: kvmtest.URI,
		Options: map[string]string{kvm.OptImagesPool: g.Name, kvm.OptShutdownTimeout: bound.String()},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*kvm.Conn)
}

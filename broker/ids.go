package broker

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"cloudbroker/broker/model"
)

// DerivedUUID is a stable id (32 hex characters, ZStack style) derived from parts joined by
// NUL: every replica computes the same one with no coordination. Ids of different kinds that
// could share parts start with the kind ("image", "host").
func DerivedUUID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// NewUUID returns a fresh id: 32 random hex characters (tasks, tags, notifications, nodes).
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// VMUUID is the broker's id for a provider's VM, derived from (provider, native id) so that
// equal MoRefs on two vCenters (vm-42 and vm-42) never collide.
func VMUUID(provider, nativeID string) string { return DerivedUUID(provider, nativeID) }

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// IsUUID reports whether s has the form of a broker uuid.
func IsUUID(s string) bool { return uuidPattern.MatchString(s) }

// VMRef locates a VM: the reverse of VMUUID.
type VMRef struct {
	Provider string `json:"provider"`
	NativeID string `json:"nativeId"`
}

// RefStore keeps the uuid → VMRef mapping; the queue package keeps it in Redis.
type RefStore interface {
	PutVMRefs(ctx context.Context, refs map[string]VMRef) error
	// ResolveVM returns an error wrapping model.ErrNotFound for an id it has never seen.
	ResolveVM(ctx context.Context, id string) (VMRef, error)
}

// loadPoll is how often a request waiting for an inventory load looks again.
const loadPoll = 100 * time.Millisecond

// resolveFromInventory finds an id the inventory does not hold yet, without listing anything
// beside the watches: while a provider the caller sees is still loading, the id may be one of
// its VMs, so it waits for the loads (until shortly before the request's deadline, and the
// sync timeout at most), then answers. An id no loaded provider holds is not found; one that
// may belong to a provider still loading, or whose last sync failed, is unavailable, naming
// that provider and its state. live is true (with a not-found error) when a provider the
// caller sees has no watch at all (no status: no worker keeping an inventory has run it):
// only a listing can find its VMs.
func (b *Broker) resolveFromInventory(ctx context.Context, c model.Caller, vmid string) (ref VMRef, live bool, err error) {
	wctx, cancel := context.WithTimeout(ctx, b.loadWait(ctx))
	defer cancel()
	held := func() (VMRef, bool) {
		vm, ok, err := b.inv.VM(wctx, vmid)
		return VMRef{Provider: vm.Provider, NativeID: vm.NativeID}, err == nil && ok && c.Sees(vm.Provider)
	}
	for {
		if ref, ok := held(); ok {
			return ref, false, nil
		}
		statuses, err := b.inv.Statuses(wctx)
		if err != nil && wctx.Err() == nil {
			return VMRef{}, false, err
		}
		loading, unwatched, failed := b.unloaded(c, statuses)
		if err == nil && len(loading) == 0 {
			// A load may have ended between the two reads: its VMs are written before its
			// status, so a read after the status sees them.
			if ref, ok := held(); ok {
				return ref, false, nil
			}
			switch {
			case unwatched:
				return VMRef{}, true, model.Errorf(model.ErrNotFound, "vm %s not found", vmid)
			case failed != "":
				return VMRef{}, false, fmt.Errorf("vm %s not found, and %s: %w", vmid, failed, model.ErrUnavailable)
			}
			return VMRef{}, false, model.Errorf(model.ErrNotFound, "vm %s not found", vmid)
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return VMRef{}, false, ctx.Err()
			}
			return VMRef{}, false, fmt.Errorf("vm %s not found yet: %s; try again shortly: %w", vmid, strings.Join(loading, ", "), model.ErrUnavailable)
		case <-time.After(loadPoll):
		}
	}
}

// loadWait is how long a request may wait for inventory loads: its deadline less a margin to
// write the answer, and the sync timeout at most.
func (b *Broker) loadWait(ctx context.Context) time.Duration {
	d := b.syncTimeout
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		d = min(d, left-min(left/10, time.Second))
	}
	return max(d, 0)
}

// unloaded describes the providers c sees whose inventory is loading for the first time, and
// those whose last sync failed (never loaded, or stale); unwatched says some have no status.
func (b *Broker) unloaded(c model.Caller, statuses map[string]SyncStatus) (loading []string, unwatched bool, failed string) {
	var stale []SyncStatus
	for _, p := range b.providers.Visible(c) {
		st, ok := statuses[p.Name]
		switch {
		case !ok:
			unwatched = true
		case st.State == SyncError:
			stale = append(stale, st)
		case st.LastSync.IsZero():
			loading = append(loading, fmt.Sprintf("provider %q is %s its inventory", p.Name, SyncLoading))
		}
	}
	return loading, unwatched, visibleFailures(c, nil, stale)
}

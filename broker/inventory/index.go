// Package inventory is the broker's in-memory, queryable copy of every provider's VMs. Each
// broker replica keeps one, fed from the shared inventory in Redis; queries never reach a
// cloud, so listing stays fast however often portals ask.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"cloudbroker/broker/model"
)

// ChangeOp is what a Change does.
type ChangeOp string

const (
	Upsert ChangeOp = "upsert"
	Delete ChangeOp = "delete"
)

// Change is one update to the inventory. VM is set for Upsert; ID is the broker uuid.
type Change struct {
	Op ChangeOp  `json:"op"`
	ID string    `json:"id"`
	VM *model.VM `json:"vm,omitempty"`
}

// entry is one VM and its values by column (a field path's number in the index): a slice
// index per condition instead of a map lookup keeps a scan of 100,000 VMs in milliseconds.
// Entries are never changed once built, so queries read them outside the lock.
type entry struct {
	vm   model.VM
	cols [][]value
}

func (e *entry) get(col int) []value {
	if col >= 0 && col < len(e.cols) { // -1: a path no VM has (Index.column)
		return e.cols[col]
	}
	return nil
}

// Index holds VMs by broker uuid. It is safe for concurrent use: queries share a read lock,
// changes take the write lock briefly (flattening happens before it).
type Index struct {
	mu      sync.RWMutex
	entries []*entry       // dense, for scans
	pos     map[string]int // uuid → index in entries
	columns map[string]int // field path → column; only grows
}

// NewIndex returns an empty index.
func NewIndex() *Index { return &Index{pos: map[string]int{}, columns: map[string]int{}} }

// newEntry builds an entry; call with the write lock held (it may add columns).
func (ix *Index) newEntry(vm model.VM, f fields) *entry {
	e := &entry{vm: vm}
	for path, vals := range f {
		col, ok := ix.columns[path]
		if !ok {
			col = len(ix.columns)
			ix.columns[path] = col
		}
		for len(e.cols) <= col {
			e.cols = append(e.cols, nil)
		}
		e.cols[col] = vals
	}
	return e
}

// column resolves a field path; an unknown path gets a column no entry has.
func (ix *Index) column(path string) int {
	if col, ok := ix.columns[path]; ok {
		return col
	}
	return -1
}

func (ix *Index) put(id string, e *entry) {
	if i, ok := ix.pos[id]; ok {
		ix.entries[i] = e
		return
	}
	ix.pos[id] = len(ix.entries)
	ix.entries = append(ix.entries, e)
}

func (ix *Index) remove(id string) {
	i, ok := ix.pos[id]
	if !ok {
		return
	}
	last := len(ix.entries) - 1
	ix.entries[i] = ix.entries[last]
	ix.pos[ix.entries[i].vm.ID] = i
	ix.entries[last] = nil
	ix.entries = ix.entries[:last]
	delete(ix.pos, id)
}

// Apply applies changes in order.
func (ix *Index) Apply(changes []Change) {
	flat := make([]fields, len(changes))
	for i, c := range changes {
		if c.Op == Upsert && c.VM != nil {
			flat[i] = flatten(c.VM)
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for i, c := range changes {
		switch {
		case c.Op == Delete:
			ix.remove(c.ID)
		case flat[i] != nil:
			vm := *c.VM
			vm.ID = c.ID
			ix.put(c.ID, ix.newEntry(vm, flat[i]))
		}
	}
}

// Reset replaces the whole content (a fresh load).
func (ix *Index) Reset(vms []model.VM) {
	flat := make([]fields, len(vms))
	for i := range vms {
		flat[i] = flatten(&vms[i])
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.entries, ix.pos = make([]*entry, 0, len(vms)), make(map[string]int, len(vms))
	for i, vm := range vms {
		ix.put(vm.ID, ix.newEntry(vm, flat[i]))
	}
}

// Get returns one VM.
func (ix *Index) Get(id string) (model.VM, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	i, ok := ix.pos[id]
	if !ok {
		return model.VM{}, false
	}
	return ix.entries[i].vm, true
}

// Len is the number of VMs.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.entries)
}

// parallelScanMin is the size from which a scan is split across CPUs: below it the goroutines
// cost more than they save.
const parallelScanMin = 20_000

// ctxCheckEvery is how many rows a scan reads between looks at its context: often enough to
// stop within a fraction of a millisecond, rarely enough to cost nothing measurable.
const ctxCheckEvery = 1024

// scan returns the entries that match, in index order, using every CPU for large indexes. It
// stops when ctx is done, with an error wrapping model.ErrTimeout.
func scan(ctx context.Context, entries []*entry, match func(*entry) bool) ([]*entry, error) {
	part := func(es []*entry) ([]*entry, bool) {
		var mine []*entry // local: appending to a shared slice would share cache lines
		for i, e := range es {
			if i%ctxCheckEvery == 0 && ctx.Err() != nil {
				return nil, false
			}
			if match(e) {
				mine = append(mine, e)
			}
		}
		return mine, true
	}
	parts := runtime.GOMAXPROCS(0)
	if len(entries) < parallelScanMin || parts < 2 {
		hits, ok := part(entries)
		if !ok {
			return nil, stopped(ctx)
		}
		return hits, nil
	}
	chunks := make([][]*entry, parts)
	size := (len(entries) + parts - 1) / parts
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := min(p*size, len(entries)), min((p+1)*size, len(entries))
		wg.Go(func() { chunks[p], _ = part(entries[lo:hi]) })
	}
	wg.Wait()
	if ctx.Err() != nil { // a chunk may have stopped early: its hits are incomplete
		return nil, stopped(ctx)
	}
	return slices.Concat(chunks...), nil
}

// stopped is the error of a query whose context is done: a deadline or a cancellation.
func stopped(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("query stopped: %w", model.ErrCanceled)
	}
	return fmt.Errorf("query stopped at the request's deadline: %w", model.ErrTimeout)
}

// Query is QueryContext without a deadline, for the broker's own bounded reads.
func (ix *Index) Query(q Query) (Result, error) { return ix.QueryContext(context.Background(), q) }

// QueryContext filters, sorts and pages. A malformed condition is an error wrapping
// model.ErrInvalid that names the bad part; a query still running when ctx is done stops with
// an error wrapping model.ErrTimeout (model.ErrCanceled when ctx was canceled).
func (ix *Index) QueryContext(ctx context.Context, q Query) (Result, error) {
	if err := validate(q); err != nil {
		return Result{}, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	matchers := make([]matcher, 0, len(q.Conditions))
	for _, c := range q.Conditions {
		m, err := compile(c, ix.column)
		if err != nil {
			return Result{}, err
		}
		matchers = append(matchers, m)
	}
	var scope map[string]bool
	if q.Providers != nil {
		scope = map[string]bool{}
		for _, p := range q.Providers {
			scope[p] = true
		}
	}
	match := func(e *entry) bool {
		if scope != nil && !scope[e.vm.Provider] {
			return false
		}
		for _, m := range matchers {
			if !m(e) {
				return false
			}
		}
		return true
	}
	hits, err := scan(ctx, ix.entries, match)
	if err != nil {
		return Result{}, err
	}

	keys := q.Sort
	if len(keys) == 0 {
		keys = defaultSort
	}
	res := Result{Total: len(hits)}
	n := -1
	if q.Limit > 0 {
		n = q.Start + q.Limit
	}
	page := sortHits(hits, keys, ix.column, n)
	page = page[min(q.Start, len(page)):]
	res.VMs = make([]model.VM, 0, len(page))
	for _, e := range page {
		res.VMs = append(res.VMs, e.vm)
	}
	return res, nil
}

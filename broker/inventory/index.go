// Package inventory is the broker's in-memory, queryable copy of every provider's resources.
// Each broker replica keeps one, fed from the shared inventory in Redis; queries never reach a
// cloud, so listing stays fast however often portals ask. Table is the columnar engine every
// resource is held in; Index is the VMs' table.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"maps"
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

// Index holds VMs by broker uuid, in a Table keyed by id. It is safe for concurrent use.
type Index struct {
	t *Table[model.VM]
}

var (
	vmFieldsMu sync.Mutex
	vmFields   = map[string]func(*model.VM) []string{}
)

// RegisterVMField adds a derived column to every Index created afterwards: values a dialect
// computes from a VM (a derived uuid), queryable at path like a field. Call it from an init
// function, before any index is built; a path registered twice keeps the last function.
func RegisterVMField(path string, fn func(*model.VM) []string) {
	vmFieldsMu.Lock()
	defer vmFieldsMu.Unlock()
	vmFields[path] = fn
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	vmFieldsMu.Lock()
	derived := maps.Clone(vmFields)
	vmFieldsMu.Unlock()
	return &Index{t: NewTable(Schema[model.VM]{ID: func(vm *model.VM) string { return vm.ID }, Derived: derived})}
}

// Apply applies changes in order.
func (ix *Index) Apply(changes []Change) {
	cs := make([]change[model.VM], 0, len(changes))
	for _, c := range changes {
		switch {
		case c.Op == Delete:
			cs = append(cs, change[model.VM]{id: c.ID})
		case c.Op == Upsert && c.VM != nil:
			vm := *c.VM
			vm.ID = c.ID
			cs = append(cs, change[model.VM]{id: c.ID, row: &vm})
		}
	}
	ix.t.apply(cs)
}

// Reset replaces the whole content (a fresh load).
func (ix *Index) Reset(vms []model.VM) { ix.t.Reset(vms) }

// Get returns one VM.
func (ix *Index) Get(id string) (model.VM, bool) { return ix.t.Get(id) }

// Len is the number of VMs.
func (ix *Index) Len() int { return ix.t.Len() }

// CountByProvider is the number of VMs the index holds of each provider: what a listing of
// that provider answers.
func (ix *Index) CountByProvider() map[string]int { return ix.t.Count("provider") }

// stopped is the error of a query whose context is done: a deadline or a cancellation.
func stopped(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("query stopped: %w", model.ErrCanceled)
	}
	return fmt.Errorf("query stopped at the request's deadline: %w", model.ErrTimeout)
}

var defaultSort = []SortKey{{Field: "provider"}, {Field: "name"}, {Field: "id"}}

// Query is QueryContext without a deadline, for the broker's own bounded reads.
func (ix *Index) Query(q Query) (Result, error) { return ix.QueryContext(context.Background(), q) }

// QueryContext filters, sorts and pages. A malformed condition is an error wrapping
// model.ErrInvalid that names the bad part; a query still running when ctx is done stops with
// an error wrapping model.ErrTimeout (model.ErrCanceled when ctx was canceled).
func (ix *Index) QueryContext(ctx context.Context, q Query) (Result, error) {
	s := Selection{Conditions: q.Conditions, Sort: q.Sort, Start: q.Start, Limit: q.Limit, Joins: q.Joins, CountOnly: q.CountOnly}
	if len(s.Sort) == 0 {
		s.Sort = defaultSort
	}
	if q.Providers != nil {
		if len(q.Providers) == 0 { // an empty scope sees nothing, but a bad query is still bad
			return Result{VMs: []model.VM{}}, ix.t.Check(s)
		}
		// Last: a scope usually keeps nearly every row, so it reads only what the rest kept.
		s.Conditions = append(slices.Clone(q.Conditions), Condition{Field: "provider", Op: OpIn, Values: q.Providers})
	}
	total, vms, err := ix.t.Select(ctx, s)
	if err != nil {
		return Result{}, err
	}
	return Result{Total: total, VMs: vms}, nil
}

package inventory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"cloudbroker/broker/model"
)

// Op is a condition operator; the spellings are ZStack's query language's.
type Op string

const (
	OpEq      Op = "="
	OpNe      Op = "!="
	OpGt      Op = ">"
	OpLt      Op = "<"
	OpGe      Op = ">="
	OpLe      Op = "<="
	OpIn      Op = "?="
	OpNotIn   Op = "!?="
	OpLike    Op = "~="
	OpNotLike Op = "!~="
	OpIsNull  Op = "is null"
	OpNotNull Op = "not null"
)

// Condition is one filter on a field path (a model.VM JSON path such as "nics.ips").
type Condition struct {
	Field string
	Op    Op
	// Values holds the operand: one value, several for ?= and !?=, none for the null tests.
	Values []string
}

// SortKey orders results by a field, ascending unless Desc.
type SortKey struct {
	Field string
	Desc  bool
}

// Query selects, orders and pages VMs.
type Query struct {
	// Providers limits the search (the caller's scope); nil means every provider.
	Providers  []string
	Conditions []Condition
	// Sort defaults to provider, name, id.
	Sort []SortKey
	// Start skips that many matches; Limit caps the page (<= 0: no cap).
	Start, Limit int
}

// Result is one page of matches and the number of all matches.
type Result struct {
	Total int
	VMs   []model.VM
}

type matcher func(*entry) bool

// compile turns a condition into a predicate, validating it once per query. field resolves a
// path to its column; a path no VM has resolves to a column every VM lacks.
func compile(c Condition, field func(string) int) (matcher, error) {
	if c.Field == "" {
		return nil, model.Errorf(model.ErrInvalid, "condition with an empty field name")
	}
	need := func(n int) error {
		if len(c.Values) != n {
			return model.Errorf(model.ErrInvalid, "condition %s%s needs %d value(s), got %d", c.Field, c.Op, n, len(c.Values))
		}
		return nil
	}
	col := field(c.Field)
	anyOf := func(pred func(value) bool) matcher {
		return func(e *entry) bool { return slices.ContainsFunc(e.get(col), pred) }
	}
	switch c.Op {
	case OpIsNull:
		return func(e *entry) bool { return len(e.get(col)) == 0 }, need(0)
	case OpNotNull:
		return func(e *entry) bool { return len(e.get(col)) > 0 }, need(0)
	case OpIn, OpNotIn:
		if len(c.Values) == 0 {
			return nil, model.Errorf(model.ErrInvalid, "condition %s%s needs at least one value", c.Field, c.Op)
		}
		set := map[string]bool{}
		for _, v := range c.Values {
			set[v] = true
		}
		in := anyOf(func(v value) bool { return set[v.s] })
		if c.Op == OpIn {
			return in, nil
		}
		return func(e *entry) bool { return !in(e) }, nil
	case OpLike, OpNotLike:
		if err := need(1); err != nil {
			return nil, err
		}
		l, err := ParseLike(c.Values[0])
		if err != nil {
			return nil, err
		}
		like := anyOf(func(v value) bool { return l.Match(v.s) })
		if c.Op == OpLike {
			return like, nil
		}
		return func(e *entry) bool { return !like(e) }, nil
	case OpEq, OpNe, OpGt, OpLt, OpGe, OpLe:
		if err := need(1); err != nil {
			return nil, err
		}
		want := newValue(c.Values[0])
		var ok func(int) bool
		switch c.Op {
		case OpEq, OpNe:
			eq := anyOf(func(v value) bool { return equal(v, want) })
			if c.Op == OpEq {
				return eq, nil
			}
			return func(e *entry) bool { return !eq(e) }, nil
		case OpGt:
			ok = func(r int) bool { return r > 0 }
		case OpLt:
			ok = func(r int) bool { return r < 0 }
		case OpGe:
			ok = func(r int) bool { return r >= 0 }
		case OpLe:
			ok = func(r int) bool { return r <= 0 }
		}
		return anyOf(func(v value) bool { return ok(compare(v, want)) }), nil
	}
	return nil, model.Errorf(model.ErrInvalid, "unknown operator %q in condition on %s", c.Op, c.Field)
}

// equal is compare(a, b) == 0 without ordering strings: most conditions are equalities.
func equal(a, b value) bool {
	if a.num && b.num {
		return a.n == b.n
	}
	return a.s == b.s
}

// compare orders numbers numerically, numbers before other strings, and other strings as
// strings: a total order, so sorts over mixed values are consistent.
func compare(a, b value) int {
	switch {
	case a.num && b.num:
		return cmp.Compare(a.n, b.n)
	case a.num:
		return -1
	case b.num:
		return 1
	}
	return strings.Compare(a.s, b.s)
}

var defaultSort = []SortKey{{Field: "provider"}, {Field: "name"}, {Field: "id"}}

// sorted is a hit with its sort keys read once, so sorting compares values, not map lookups.
type sorted struct {
	e    *entry
	keys []value
	has  []bool
}

// sortHits orders hits by keys, then by id, so the order is total and pages never overlap,
// and returns the first n (all when n < 0). When n is small against the hits, it selects
// with a bounded heap instead of sorting everything: a page of 50 from 60,000 matches costs
// O(m log n), not O(m log m).
func sortHits(hits []*entry, keys []SortKey, field func(string) int, n int) []*entry {
	keys = append(slices.Clone(keys), SortKey{Field: "id"})
	cols := make([]int, len(keys))
	for j, k := range keys {
		cols[j] = field(k.Field)
	}
	fill := func(r *sorted, e *entry) {
		r.e = e
		for j, col := range cols {
			if vs := e.get(col); len(vs) > 0 {
				r.keys[j], r.has[j] = vs[0], true
			} else {
				r.keys[j], r.has[j] = value{}, false
			}
		}
	}
	row := func(e *entry) sorted {
		r := sorted{keys: make([]value, len(keys)), has: make([]bool, len(keys))}
		if e != nil {
			fill(&r, e)
		}
		return r
	}
	less := func(a, b sorted) int {
		for j, k := range keys {
			r := 0
			switch {
			case a.has[j] && b.has[j]:
				r = compare(a.keys[j], b.keys[j])
			case a.has[j]:
				r = 1 // VMs without the field sort first
			case b.has[j]:
				r = -1
			}
			if k.Desc {
				r = -r
			}
			if r != 0 {
				return r
			}
		}
		return 0
	}
	if n < 0 || n >= len(hits)/4 {
		rows := make([]sorted, len(hits))
		for i, e := range hits {
			rows[i] = row(e)
		}
		slices.SortFunc(rows, less)
		if n < 0 || n > len(rows) {
			n = len(rows)
		}
		out := make([]*entry, n)
		for i := range out {
			out[i] = rows[i].e
		}
		return out
	}
	// h is a max-heap of the n smallest rows seen so far: its root is the largest of them.
	h := make([]sorted, 0, n+1)
	scratch := row(nil) // rows that lose against the heap's root allocate nothing
	for _, e := range hits {
		fill(&scratch, e)
		if len(h) == n {
			if n == 0 || less(scratch, h[0]) >= 0 {
				continue
			}
			h[0], scratch = scratch, h[0]
			siftDown(h, 0, less)
			continue
		}
		h = append(h, row(e))
		siftUp(h, len(h)-1, less)
	}
	slices.SortFunc(h, less)
	out := make([]*entry, len(h))
	for i := range h {
		out[i] = h[i].e
	}
	return out
}

func siftUp(h []sorted, i int, less func(a, b sorted) int) {
	for i > 0 {
		p := (i - 1) / 2
		if less(h[i], h[p]) <= 0 {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func siftDown(h []sorted, i int, less func(a, b sorted) int) {
	for {
		l, big := 2*i+1, i
		if l < len(h) && less(h[l], h[big]) > 0 {
			big = l
		}
		if r := l + 1; r < len(h) && less(h[r], h[big]) > 0 {
			big = r
		}
		if big == i {
			return
		}
		h[i], h[big] = h[big], h[i]
		i = big
	}
}

func validate(q Query) error {
	if q.Start < 0 {
		return model.Errorf(model.ErrInvalid, "start %d must be >= 0", q.Start)
	}
	for _, s := range q.Sort {
		if s.Field == "" {
			return fmt.Errorf("sort with an empty field name: %w", model.ErrInvalid)
		}
	}
	return nil
}

package inventory

import (
	"cmp"
	"fmt"
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

// Condition is one filter on a field path (a row's JSON path such as "nics.ips").
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
	// Joins relate other tables to the VMs by a path prefix ("cluster.name"; join.go).
	Joins []Join
	// CountOnly answers the total and no VMs: nothing is sorted.
	CountOnly bool
}

// Result is one page of matches and the number of all matches.
type Result struct {
	Total int
	VMs   []model.VM
}

// compile turns a condition into a filter over col (nil: a path no row has), validating it
// once per query and evaluating it once per distinct value: a scan then reads one code per row.
func compile(c Condition, col *column) (filter, error) {
	f := filter{col: col}
	if c.Field == "" {
		return f, model.Errorf(model.ErrInvalid, "condition with an empty field name")
	}
	need := func(n int) error {
		if len(c.Values) != n {
			return model.Errorf(model.ErrInvalid, "condition %s%s needs %d value(s), got %d", c.Field, c.Op, n, len(c.Values))
		}
		return nil
	}
	// each marks the dictionary entries pred holds for.
	each := func(pred func(value) bool) {
		if col == nil {
			return
		}
		if len(col.dict) >= lazyDictMin {
			f.pred, f.memo = pred, make([]uint8, len(col.dict))
			return
		}
		f.ok = make([]bool, len(col.dict))
		for code := 1; code < len(col.dict); code++ {
			f.ok[code] = pred(col.dict[code])
		}
	}
	// exact marks the entries whose text is one of texts: a map lookup each, no scan.
	exact := func(texts []string) {
		if col == nil {
			return
		}
		f.ok = make([]bool, len(col.dict))
		for _, s := range texts {
			if code, ok := col.codeOf[s]; ok {
				f.ok[code] = true
			}
		}
	}
	switch c.Op {
	case OpIsNull, OpNotNull:
		f.nullTest, f.neg = true, c.Op == OpIsNull
		return f, need(0)
	case OpIn, OpNotIn:
		if len(c.Values) == 0 {
			return f, model.Errorf(model.ErrInvalid, "condition %s%s needs at least one value", c.Field, c.Op)
		}
		exact(c.Values)
		f.neg = c.Op == OpNotIn
		return f, nil
	case OpLike, OpNotLike:
		if err := need(1); err != nil {
			return f, err
		}
		l, err := ParseLike(c.Values[0])
		if err != nil {
			return f, err
		}
		each(func(v value) bool { return l.Match(v.s) })
		f.neg = c.Op == OpNotLike
		return f, nil
	case OpEq, OpNe, OpGt, OpLt, OpGe, OpLe:
		if err := need(1); err != nil {
			return f, err
		}
		want := newValue(c.Values[0])
		switch c.Op {
		case OpEq, OpNe:
			if want.num { // "2048" equals "2048.0": compare every entry
				each(func(v value) bool { return equal(v, want) })
			} else {
				exact(c.Values)
			}
			f.neg = c.Op == OpNe
		case OpGt:
			each(func(v value) bool { return compare(v, want) > 0 })
		case OpLt:
			each(func(v value) bool { return compare(v, want) < 0 })
		case OpGe:
			each(func(v value) bool { return compare(v, want) >= 0 })
		case OpLe:
			each(func(v value) bool { return compare(v, want) <= 0 })
		}
		return f, nil
	}
	return f, model.Errorf(model.ErrInvalid, "unknown operator %q in condition on %s", c.Op, c.Field)
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

func validate(start int, sort []SortKey) error {
	if start < 0 {
		return model.Errorf(model.ErrInvalid, "start %d must be >= 0", start)
	}
	for _, s := range sort {
		if s.Field == "" {
			return fmt.Errorf("sort with an empty field name: %w", model.ErrInvalid)
		}
	}
	return nil
}

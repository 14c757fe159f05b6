package inventory

import (
	"context"
	"slices"
	"strings"

	"cloudbroker/broker/model"
)

// Join relates another table to a table's rows: a condition on "<Prefix>.<path>" holds for a
// row when its related row (the one whose RelatedKey equals the row's Key) meets the condition
// on <path>. It is evaluated as a semijoin: the related table answers the keys of its rows that
// meet the condition, and the row's Key must be one of them. A row without a related row meets
// no joined condition, negated ones included.
type Join struct {
	Prefix     string
	Key        string // this table's path holding the related row's key
	Related    Keyed
	RelatedKey string // the related table's path holding its key
}

// Keyed is a table whose rows' keys can be selected by a condition (a Table of any type).
type Keyed interface {
	Keys(ctx context.Context, c Condition, keyPath string) ([]string, error)
}

// Keys returns the distinct values at keyPath of the rows meeting c, sorted.
func (t *Table[T]) Keys(ctx context.Context, c Condition, keyPath string) ([]string, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	fs, err := t.compile([]Condition{c})
	if err != nil {
		return nil, err
	}
	hits, err := scan(ctx, len(t.rows), fs)
	if err != nil {
		return nil, err
	}
	i, ok := t.colOf[keyPath]
	if !ok {
		return nil, nil
	}
	col := t.cols[i]
	var keys []string
	var buf [1]uint32
	for _, r := range hits {
		for _, code := range col.row(int(r), &buf) {
			keys = append(keys, col.dict[code].s)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}

// neverPath is a path no row has: "not null" on it is a condition no row meets.
const neverPath = "\x00never"

// resolveJoins turns the conditions on joined paths into conditions on the joining key. Call it
// without holding the table's lock: a related table may be the table itself.
func resolveJoins(ctx context.Context, joins []Join, conds []Condition, sort []SortKey) ([]Condition, error) {
	if len(joins) == 0 {
		return conds, nil
	}
	related := func(field string) (Join, string, bool) {
		for _, j := range joins {
			if rest, ok := strings.CutPrefix(field, j.Prefix+"."); ok {
				return j, rest, true
			}
		}
		return Join{}, "", false
	}
	for _, k := range sort {
		if _, _, ok := related(k.Field); ok {
			return nil, model.Errorf(model.ErrInvalid, "cannot sort by %s: a related resource's field orders nothing", k.Field)
		}
	}
	out := make([]Condition, len(conds))
	for i, c := range conds {
		j, rest, ok := related(c.Field)
		if !ok {
			out[i] = c
			continue
		}
		c.Field = rest
		keys, err := j.Related.Keys(ctx, c, j.RelatedKey)
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			out[i] = Condition{Field: neverPath, Op: OpNotNull}
			continue
		}
		out[i] = Condition{Field: j.Key, Op: OpIn, Values: keys}
	}
	return out, nil
}

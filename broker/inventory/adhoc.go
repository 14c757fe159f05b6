package inventory

import "context"

// valuesRow is a row of an ad-hoc table: one list of values.
type valuesRow struct {
	V []string `json:"v"`
}

// Matching returns the indexes of the value lists that meet c (c.Field is ignored), in order,
// with exactly the semantics of a condition on a table's field: a list meets it when any
// value does (a negation, when none does), "is null" when it is empty. It is how a dialect
// evaluates a condition on values no table holds as such (the few values of an enum, a value
// derived from each provider), with the same engine, through a small table built for it.
func Matching(c Condition, lists [][]string) ([]int, error) {
	rows := make([]valuesRow, len(lists))
	for i, l := range lists {
		rows[i].V = l
	}
	t := NewTable(Schema[valuesRow]{})
	t.Reset(rows)
	c.Field = "v"
	t.mu.RLock()
	defer t.mu.RUnlock()
	fs, err := t.compile([]Condition{c})
	if err != nil {
		return nil, err
	}
	hits, err := scan(context.Background(), len(t.rows), fs)
	out := make([]int, len(hits))
	for i, r := range hits {
		out[i] = int(r)
	}
	return out, err
}

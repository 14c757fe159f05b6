package inventory

import (
	"reflect"
	"sync"
)

// Schema describes a table's rows.
type Schema[T any] struct {
	// ID is a row's key for Upsert and Delete, and the last sort key (so orders are total);
	// nil for a list that is only ever Reset, whose rows then keep their load order on ties.
	ID func(*T) string
	// Derived are columns computed from a row, by path: values no field holds as such (a
	// dialect's derived uuids). A list of values makes a list-valued field.
	Derived map[string]func(*T) []string
}

// Table is the columnar engine under every inventory: rows of one resource, each field path a
// dense column of dictionary codes (column.go), queried by Select. It is safe for concurrent
// use: queries share a read lock; a change interns its values and writes one slot per column
// under the write lock, after the row was walked (extract.go) outside it.
type Table[T any] struct {
	schema Schema[T]
	mu     sync.RWMutex
	rows   []T
	pos    map[string]int // id → row; nil without Schema.ID
	cols   []*column
	colOf  map[string]int // path → index in cols; only grows
}

// NewTable returns an empty table.
func NewTable[T any](s Schema[T]) *Table[T] {
	t := &Table[T]{schema: s}
	t.clear(0)
	return t
}

func (t *Table[T]) clear(capacity int) {
	t.rows, t.cols, t.colOf = make([]T, 0, capacity), nil, map[string]int{}
	if t.schema.ID != nil {
		t.pos = make(map[string]int, capacity)
	}
}

// leaves walks a row into its leaves, derived columns included.
func (t *Table[T]) leaves(row *T) []leaf {
	var out []leaf
	walk("", reflect.ValueOf(row).Elem(), func(path, text string) { out = append(out, leaf{path, text}) })
	for path, fn := range t.schema.Derived {
		for _, text := range fn(row) {
			out = append(out, leaf{path, text})
		}
	}
	return out
}

// column returns the column of path, adding an all-null one when new (write lock held).
func (t *Table[T]) column(path string) int {
	if i, ok := t.colOf[path]; ok {
		return i
	}
	t.colOf[path] = len(t.cols)
	t.cols = append(t.cols, newColumn(len(t.rows)))
	return len(t.cols) - 1
}

// write stores row at r (r == len(rows) appends) from its leaves (write lock held). scratch
// is per-column codes, reused across rows.
func (t *Table[T]) write(r int, row T, ls []leaf, scratch *[][]uint32) {
	for _, l := range ls {
		i := t.column(l.path)
		for len(*scratch) <= i {
			*scratch = append(*scratch, nil)
		}
		(*scratch)[i] = append((*scratch)[i], t.cols[i].intern(l.text))
	}
	for i, c := range t.cols {
		var codes []uint32
		if i < len(*scratch) {
			codes = (*scratch)[i]
			(*scratch)[i] = codes[:0]
		}
		c.set(r, codes)
	}
	if r == len(t.rows) {
		t.rows = append(t.rows, row)
	} else {
		t.rows[r] = row
	}
}

// Reset replaces every row. The new columns are built aside and swapped in: queries go on
// reading the old rows meanwhile, not waiting for a load of 100,000 VMs.
func (t *Table[T]) Reset(rows []T) {
	fresh := NewTable(t.schema)
	fresh.load(rows)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rows, t.pos, t.cols, t.colOf = fresh.rows, fresh.pos, fresh.cols, fresh.colOf
}

// load fills an empty table no one else sees yet.
func (t *Table[T]) load(rows []T) {
	ls := make([][]leaf, len(rows))
	for i := range rows {
		ls[i] = t.leaves(&rows[i])
	}
	t.clear(len(rows))
	var scratch [][]uint32
	for i, row := range rows {
		r := len(t.rows)
		if t.pos != nil {
			id := t.schema.ID(&rows[i])
			if old, ok := t.pos[id]; ok { // a duplicate id: the last one wins
				r = old
			} else {
				t.pos[id] = r
			}
		}
		t.write(r, row, ls[i], &scratch)
	}
}

// change is one upsert (row set) or delete (row nil) of the row keyed id.
type change[T any] struct {
	id  string
	row *T
}

// apply upserts and deletes rows in order; it needs Schema.ID.
func (t *Table[T]) apply(changes []change[T]) {
	ls := make([][]leaf, len(changes))
	for i, c := range changes {
		if c.row != nil {
			ls[i] = t.leaves(c.row)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var scratch [][]uint32
	for i, c := range changes {
		r, ok := t.pos[c.id]
		switch {
		case c.row != nil:
			if !ok {
				r = len(t.rows)
				t.pos[c.id] = r
			}
			t.write(r, *c.row, ls[i], &scratch)
		case ok:
			t.remove(c.id, r)
		}
	}
	for _, col := range t.cols {
		col.recode(len(t.rows))
	}
}

// remove deletes row r by moving the last row into it (write lock held).
func (t *Table[T]) remove(id string, r int) {
	last := len(t.rows) - 1
	for _, c := range t.cols {
		c.moveLast(r)
	}
	t.rows[r] = t.rows[last]
	var zero T
	t.rows[last] = zero
	t.rows = t.rows[:last]
	delete(t.pos, id)
	if r != last {
		t.pos[t.schema.ID(&t.rows[r])] = r
	}
}

// Get returns the row keyed id.
func (t *Table[T]) Get(id string) (T, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	r, ok := t.pos[id]
	if !ok {
		var zero T
		return zero, false
	}
	return t.rows[r], true
}

// Len is the number of rows.
func (t *Table[T]) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.rows)
}

// Count is the number of rows by their first value of path (null rows under "").
func (t *Table[T]) Count(path string) map[string]int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := map[string]int{}
	i, ok := t.colOf[path]
	if !ok {
		if len(t.rows) > 0 {
			out[""] = len(t.rows)
		}
		return out
	}
	c := t.cols[i]
	n := make([]int, len(c.dict))
	for r := range t.rows {
		n[c.first(r)]++
	}
	for code, k := range n {
		if k > 0 {
			out[c.dict[code].s] += k
		}
	}
	return out
}

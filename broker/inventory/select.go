package inventory

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"sync"
)

// Selection picks, orders and pages a table's rows.
type Selection struct {
	Conditions []Condition
	// Sort orders the matches; ties are broken by the row's id (Schema.ID), else load order.
	Sort         []SortKey
	Start, Limit int // Limit <= 0: every match from Start
	// Joins relate other tables by a path prefix (join.go).
	Joins []Join
	// CountOnly selects no rows: only the total is counted, nothing sorted.
	CountOnly bool
}

// filter is a compiled condition: a row matches when any of its codes in col is ok (for a
// negation, when none is: neg), or for the null tests when it has codes (notNull) or not.
type filter struct {
	col      *column // nil: a path no row has
	ok       []bool  // by code; nil when evaluated lazily (pred)
	neg      bool
	nullTest bool
	// pred is evaluated on first sight of each code, remembered in memo (0 not yet, 1 holds,
	// 2 does not), for large dictionaries (ids, names, addresses), where the rows a query
	// still reads may be far fewer than the distinct values.
	pred func(value) bool
	memo []uint8
}

// lazyDictMin is the dictionary size from which a predicate is evaluated lazily.
const lazyDictMin = 4096

func (f *filter) test(code uint32) bool {
	if f.ok != nil {
		return f.ok[code]
	}
	switch f.memo[code] {
	case 1:
		return true
	case 2:
		return false
	}
	hit := code != 0 && f.pred(f.col.dict[code])
	f.memo[code] = 2
	if hit {
		f.memo[code] = 1
	}
	return hit
}

// own returns a copy of f safe to run beside f on another goroutine (its own memo).
func (f filter) own() filter {
	if f.memo != nil {
		f.memo = make([]uint8, len(f.memo))
	}
	return f
}

func (f *filter) match(r int) bool {
	if f.col == nil {
		return f.neg // no values: a positive test fails, its negation holds
	}
	if !f.col.multi {
		code := f.col.single[r]
		if f.nullTest {
			return (code != 0) != f.neg
		}
		return f.test(code) != f.neg
	}
	n := f.col.cnt[r]
	if f.nullTest {
		return (n != 0) != f.neg
	}
	off := f.col.off[r]
	for _, code := range f.col.vals[off : off+n] {
		if f.test(code) {
			return !f.neg
		}
	}
	return f.neg
}

// keep filters rows [lo, hi), or the given candidates, into out.
func (f *filter) keep(lo, hi int, cand, out []int32) []int32 {
	hot := f.col != nil && !f.col.multi && !f.nullTest && f.ok != nil
	if cand != nil {
		if hot { // as below, over the rows kept so far
			single, ok, neg := f.col.single, f.ok, f.neg
			for _, r := range cand {
				if ok[single[r]] != neg {
					out = append(out, r)
				}
			}
			return out
		}
		for _, r := range cand {
			if f.match(int(r)) {
				out = append(out, r)
			}
		}
		return out
	}
	if hot { // the hot loop: one load and a lookup per row
		codes, ok, neg := f.col.single[lo:hi], f.ok, f.neg
		for i, code := range codes {
			if ok[code] != neg {
				out = append(out, int32(lo+i))
			}
		}
		return out
	}
	for r := lo; r < hi; r++ {
		if f.match(r) {
			out = append(out, int32(r))
		}
	}
	return out
}

func (t *Table[T]) compile(conds []Condition) ([]filter, error) {
	fs := make([]filter, 0, len(conds))
	for _, c := range conds {
		var col *column
		if i, ok := t.colOf[c.Field]; ok {
			col = t.cols[i]
		}
		f, err := compile(c, col)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	// Filters known per value first: the lazy ones then read only the rows those kept.
	slices.SortStableFunc(fs, func(a, b filter) int { return cmp.Compare(boolRank(a.pred != nil), boolRank(b.pred != nil)) })
	return fs, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Check validates a selection without reading rows: the error a Select of it would return.
func (t *Table[T]) Check(s Selection) error {
	if err := validate(s.Start, s.Sort); err != nil {
		return err
	}
	conds, err := resolveJoins(context.Background(), s.Joins, s.Conditions, s.Sort)
	if err != nil {
		return err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	_, err = t.compile(conds)
	return err
}

// Select returns the number of matching rows and the page asked for. A malformed condition is
// an error wrapping model.ErrInvalid that names the bad part; a selection still running when
// ctx is done stops with an error wrapping model.ErrTimeout (model.ErrCanceled when canceled).
func (t *Table[T]) Select(ctx context.Context, s Selection) (total int, page []T, err error) {
	if err := validate(s.Start, s.Sort); err != nil {
		return 0, nil, err
	}
	conds, err := resolveJoins(ctx, s.Joins, s.Conditions, s.Sort)
	if err != nil {
		return 0, nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	fs, err := t.compile(conds)
	if err != nil {
		return 0, nil, err
	}
	hits, err := scanPooled(ctx, len(t.rows), fs)
	if err != nil {
		return 0, nil, err
	}
	defer putScanBuf(hits) // order may return hits itself: given back once page is copied out
	if s.CountOnly {
		return len(hits), []T{}, nil
	}
	n := -1
	if s.Limit > 0 {
		n = s.Start + s.Limit
	}
	order := t.order(hits, s.Sort, n)
	order = order[min(s.Start, len(order)):]
	page = make([]T, len(order))
	for i, r := range order {
		page[i] = t.rows[r]
	}
	return len(hits), page, nil
}

// parallelScanMin is the size from which a scan is split across CPUs: below it the goroutines
// cost more than they save.
const parallelScanMin = 50_000

// ctxCheckEvery is how many rows a scan reads between looks at its context: often enough to
// stop within a fraction of a millisecond, rarely enough to cost nothing measurable.
const ctxCheckEvery = 4096

// scanBufs are the buffers a scan collects rows in: a first filter may keep most of the
// rows before the next ones narrow them, and growing that from nothing on every query is
// most of a query's garbage (what drives its p99). A scan returns a copy of what it kept.
var scanBufs = sync.Pool{New: func() any { return new([]int32) }}

func getScanBuf() []int32 { return (*scanBufs.Get().(*[]int32))[:0] }

func putScanBuf(b []int32) {
	if cap(b) > 0 {
		scanBufs.Put(&b)
	}
}

// scan returns the rows every filter keeps, in row order: the first filter reads its column
// over a range of rows, the next ones only the rows kept so far.
func scan(ctx context.Context, rows int, fs []filter) ([]int32, error) {
	buf, err := scanPooled(ctx, rows, fs)
	defer putScanBuf(buf)
	if err != nil {
		return nil, err
	}
	return slices.Clone(buf), nil
}

// scanPooled is scan into a buffer of scanBufs, which the caller gives back (putScanBuf)
// once done with the hits.
func scanPooled(ctx context.Context, rows int, fs []filter) ([]int32, error) {
	part := func(lo, hi int, fs []filter) ([]int32, bool) {
		out := getScanBuf()
		for b := lo; b < hi; b += ctxCheckEvery {
			if ctx.Err() != nil {
				return out, false
			}
			e := min(b+ctxCheckEvery, hi)
			if len(fs) == 0 {
				for r := b; r < e; r++ {
					out = append(out, int32(r))
				}
				continue
			}
			start := len(out)
			out = fs[0].keep(b, e, nil, out)
			for k := 1; k < len(fs) && len(out) > start; k++ {
				kept := out[start:]
				// In place: a filter writes no further than it has read.
				out = out[:start+len(fs[k].keep(0, 0, kept, kept[:0]))]
			}
		}
		return out, true
	}
	if ctx.Err() != nil {
		return nil, stopped(ctx)
	}
	parts := runtime.GOMAXPROCS(0)
	if rows < parallelScanMin || parts < 2 {
		hits, ok := part(0, rows, fs)
		if !ok {
			putScanBuf(hits)
			return nil, stopped(ctx)
		}
		return hits, nil
	}
	chunks := make([][]int32, parts)
	size := (rows + parts - 1) / parts
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := min(p*size, rows), min((p+1)*size, rows)
		mine := make([]filter, len(fs))
		for i, f := range fs {
			mine[i] = f.own()
		}
		wg.Go(func() { chunks[p], _ = part(lo, hi, mine) })
	}
	wg.Wait()
	defer func() {
		for _, c := range chunks {
			putScanBuf(c)
		}
	}()
	if ctx.Err() != nil { // a chunk may have stopped early: its hits are incomplete
		return nil, stopped(ctx)
	}
	hits := getScanBuf()
	for _, c := range chunks {
		hits = append(hits, c...)
	}
	return hits, nil
}

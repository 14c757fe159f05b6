package inventory

import (
	"slices"
	"sync"
)

// column holds one field path's values for every row of a table, densely: row r's values are
// dictionary codes (code 0 is null; the dictionary holds each distinct text once, with its
// number parsed), in single while no row has more than one value, else as a range of vals
// (off[r], cnt[r]): a list-valued field. A condition is evaluated once per dictionary entry,
// then a scan reads one small integer per row.
type column struct {
	dict   []value // code → value; dict[0] is the null placeholder
	codeOf map[string]uint32

	single []uint32 // per row; nil once the column is multi
	multi  bool
	off    []uint32 // per row, into vals
	cnt    []uint32
	vals   []uint32
	// garbage counts the vals no row points at any more (rewritten or removed rows); they are
	// compacted away once they are half of vals.
	garbage int

	// Sort ranks, built lazily by ranks(): order is the codes ordered by compare, rank[code]
	// its 1-based rank (equal values, equal ranks; 0 is null). ranked is how many dictionary
	// entries they cover: new entries are merged in, not re-sorted.
	rankMu sync.Mutex
	ranked int
	order  []uint32
	rank   []uint32
	debt   int // rows sorted by value since ranks were last rebuilt (ranksFor)
}

func newColumn(rows int) *column {
	return &column{dict: []value{{}}, codeOf: map[string]uint32{}, single: make([]uint32, rows)}
}

// intern returns text's code, adding it to the dictionary when new.
func (c *column) intern(text string) uint32 {
	if code, ok := c.codeOf[text]; ok {
		return code
	}
	code := uint32(len(c.dict))
	c.dict = append(c.dict, newValue(text))
	c.codeOf[text] = code
	return code
}

// row returns row r's codes; buf backs the single-valued case.
func (c *column) row(r int, buf *[1]uint32) []uint32 {
	if !c.multi {
		if c.single[r] == 0 {
			return nil
		}
		buf[0] = c.single[r]
		return buf[:]
	}
	return c.vals[c.off[r] : c.off[r]+c.cnt[r]]
}

// first is row r's first code (0: null), the one a sort reads.
func (c *column) first(r int) uint32 {
	if !c.multi {
		return c.single[r]
	}
	if c.cnt[r] == 0 {
		return 0
	}
	return c.vals[c.off[r]]
}

func (c *column) toMulti() {
	n := len(c.single)
	c.off, c.cnt, c.vals = make([]uint32, n), make([]uint32, n), make([]uint32, 0, n)
	for r, code := range c.single {
		c.off[r] = uint32(len(c.vals))
		if code != 0 {
			c.vals = append(c.vals, code)
			c.cnt[r] = 1
		}
	}
	c.single, c.multi = nil, true
}

// set writes row r's codes (r == rows appends a row).
func (c *column) set(r int, codes []uint32) {
	if !c.multi && len(codes) > 1 {
		c.toMulti()
	}
	if !c.multi {
		code := uint32(0)
		if len(codes) == 1 {
			code = codes[0]
		}
		if r == len(c.single) {
			c.single = append(c.single, code)
		} else {
			c.single[r] = code
		}
		return
	}
	if r == len(c.off) {
		c.off, c.cnt = append(c.off, uint32(len(c.vals))), append(c.cnt, uint32(len(codes)))
		c.vals = append(c.vals, codes...)
		return
	}
	if len(codes) <= int(c.cnt[r]) { // fits where the old values were
		copy(c.vals[c.off[r]:], codes)
		c.garbage += int(c.cnt[r]) - len(codes)
		c.cnt[r] = uint32(len(codes))
		return
	}
	c.garbage += int(c.cnt[r])
	c.off[r], c.cnt[r] = uint32(len(c.vals)), uint32(len(codes))
	c.vals = append(c.vals, codes...)
	c.compact()
}

// moveLast moves the last row into row r and drops the last row (a delete keeps rows dense).
func (c *column) moveLast(r int) {
	if !c.multi {
		last := len(c.single) - 1
		c.single[r] = c.single[last]
		c.single = c.single[:last]
		return
	}
	last := len(c.off) - 1
	c.garbage += int(c.cnt[r])
	c.off[r], c.cnt[r] = c.off[last], c.cnt[last]
	c.off, c.cnt = c.off[:last], c.cnt[:last]
	c.compact()
}

func (c *column) compact() {
	if c.garbage < 1024 || c.garbage < len(c.vals)/2 {
		return
	}
	vals := make([]uint32, 0, len(c.vals)-c.garbage)
	for r := range c.off {
		start := uint32(len(vals))
		vals = append(vals, c.vals[c.off[r]:c.off[r]+c.cnt[r]]...)
		c.off[r] = start
	}
	c.vals, c.garbage = vals, 0
}

// ranksFor returns the ranks for sorting n rows, or nil when the values should be compared
// instead: while a change stream keeps adding values, re-ranking a large dictionary (O(k) per
// query) would cost more than comparing the few rows a query sorts.
// Comparing values is paid per query, re-ranking once: ranks are rebuilt when the rows sorted
// with values since the last rebuild add up to the dictionary's size (debt), so a quiet index
// ranks after a few queries and a busy one re-ranks at most once per that much sorting.
func (c *column) ranksFor(n int) []uint32 {
	c.rankMu.Lock()
	stale := c.ranked != len(c.dict)
	if stale && c.debt+n < len(c.dict) {
		c.debt += n
		c.rankMu.Unlock()
		return nil
	}
	c.debt = 0
	c.rankMu.Unlock()
	return c.ranks()
}

// ranks returns rank (code → 1-based sort rank). Safe under the table's read lock: the
// dictionary cannot change then, and concurrent readers build the ranks once.
func (c *column) ranks() []uint32 {
	c.rankMu.Lock()
	defer c.rankMu.Unlock()
	if c.ranked == len(c.dict) {
		return c.rank
	}
	cmpCode := func(a, b uint32) int { return compare(c.dict[a], c.dict[b]) }
	fresh := make([]uint32, 0, len(c.dict)-max(c.ranked, 1))
	for code := max(c.ranked, 1); code < len(c.dict); code++ {
		fresh = append(fresh, uint32(code))
	}
	slices.SortFunc(fresh, cmpCode)
	// Merge the new codes into the order kept from the last time: O(k), not O(k log k).
	order := make([]uint32, 0, len(c.order)+len(fresh))
	i, j := 0, 0
	for i < len(c.order) || j < len(fresh) {
		if j == len(fresh) || (i < len(c.order) && cmpCode(c.order[i], fresh[j]) <= 0) {
			order, i = append(order, c.order[i]), i+1
		} else {
			order, j = append(order, fresh[j]), j+1
		}
	}
	rank := make([]uint32, len(c.dict))
	r := uint32(0)
	for k, code := range order {
		if k == 0 || cmpCode(order[k-1], code) != 0 {
			r++
		}
		rank[code] = r
	}
	c.order, c.rank, c.ranked = order, rank, len(c.dict)
	return rank
}

// recode rebuilds the dictionary from the codes rows still use once it holds more than twice as
// many entries as there are rows (values of renamed, changed and deleted rows), so a long-lived
// index following a change stream stays the size of its rows. Write lock held.
func (c *column) recode(rows int) {
	if len(c.dict) < 2*rows+4096 {
		return
	}
	to := make([]uint32, len(c.dict)) // old code → new; 0: not seen yet
	dict, codeOf := []value{{}}, make(map[string]uint32, rows)
	remap := func(codes []uint32) {
		for i, code := range codes {
			if code == 0 {
				continue
			}
			if to[code] == 0 {
				to[code] = uint32(len(dict))
				dict = append(dict, c.dict[code])
				codeOf[c.dict[code].s] = to[code]
			}
			codes[i] = to[code]
		}
	}
	if !c.multi {
		remap(c.single)
	} else {
		for r := range c.off {
			remap(c.vals[c.off[r] : c.off[r]+c.cnt[r]])
		}
	}
	c.dict, c.codeOf = dict, codeOf
	c.rankMu.Lock()
	c.ranked, c.order, c.rank = 0, nil, nil
	c.rankMu.Unlock()
}

package inventory

import (
	"cmp"
	"slices"
)

// sortCol is one sort key resolved against the table: its column and its ranks (nil: the
// values are compared instead).
type sortCol struct {
	col  *column
	rank []uint32
	desc bool
}

// order sorts hits by keys, then by id (Schema.ID; load order without one), so the order is total and
// pages never overlap, and returns the first n (all when n < 0). Keys compare as precomputed
// ranks (column.ranks), one integer per row and key, or as values while the ranks are out of
// date and re-ranking would cost more than the sort (column.ranksFor). When n is small against the hits, it
// selects with a bounded heap instead of sorting everything: a page of 50 from 60,000 matches
// costs O(m log n), not O(m log m).
func (t *Table[T]) order(hits []int32, keys []SortKey, n int) []int32 {
	var cols []sortCol
	for _, k := range keys {
		sc := sortCol{desc: k.Desc}
		if i, ok := t.colOf[k.Field]; ok {
			sc.col = t.cols[i]
			sc.rank = sc.col.ranksFor(len(hits))
		}
		if sc.col != nil {
			cols = append(cols, sc)
		}
	}
	if len(cols) == 0 && t.schema.ID == nil { // load order
		if n >= 0 && n < len(hits) {
			return hits[:n]
		}
		return hits
	}
	// Each hit's keys, read once: rows then compare as integers.
	w := len(cols)
	rk := make([]uint32, len(hits)*w)
	for i, r := range hits {
		for j, sc := range cols {
			code := sc.col.first(int(r))
			if sc.rank != nil {
				code = sc.rank[code] // null: rank 0, first
			}
			rk[i*w+j] = code
		}
	}
	idx := make([]int32, len(hits)) // positions in hits
	for i := range idx {
		idx[i] = int32(i)
	}
	less := func(a, b int32) int {
		ka, kb := rk[int(a)*w:int(a)*w+w], rk[int(b)*w:int(b)*w+w]
		for j, sc := range cols {
			r := 0
			switch {
			case sc.rank != nil:
				r = cmp.Compare(ka[j], kb[j])
			case ka[j] == kb[j]:
			case ka[j] == 0: // null first
				r = -1
			case kb[j] == 0:
				r = 1
			default:
				r = compare(sc.col.dict[ka[j]], sc.col.dict[kb[j]])
			}
			if r != 0 {
				if sc.desc {
					return -r
				}
				return r
			}
		}
		if t.schema.ID != nil { // rare: only rows equal on every key get here
			return compare(newValue(t.schema.ID(&t.rows[hits[a]])), newValue(t.schema.ID(&t.rows[hits[b]])))
		}
		return cmp.Compare(a, b) // load order (hits are in row order)
	}
	var top []int32
	if n < 0 || n >= len(hits)/4 {
		slices.SortFunc(idx, less)
		if n < 0 || n > len(idx) {
			n = len(idx)
		}
		top = idx[:n]
	} else {
		top = selectTop(idx, n, less)
	}
	out := make([]int32, len(top))
	for i, p := range top {
		out[i] = hits[p]
	}
	return out
}

// selectTop returns the n smallest of idx by less, sorted, with a bounded max-heap whose root
// is the largest kept so far.
func selectTop(idx []int32, n int, less func(a, b int32) int) []int32 {
	h := make([]int32, 0, n+1)
	for _, x := range idx {
		if len(h) == n {
			if n == 0 || less(x, h[0]) >= 0 {
				continue
			}
			h[0] = x
			siftDown(h, 0, less)
			continue
		}
		h = append(h, x)
		siftUp(h, len(h)-1, less)
	}
	slices.SortFunc(h, less)
	return h
}

func siftUp(h []int32, i int, less func(a, b int32) int) {
	for i > 0 {
		p := (i - 1) / 2
		if less(h[i], h[p]) <= 0 {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func siftDown(h []int32, i int, less func(a, b int32) int) {
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

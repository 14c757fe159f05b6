package inventory

import (
	"cmp"
	"math/bits"
	"slices"
	"sync"
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
	if len(cols) > 0 && cols[0].rank != nil && n >= 0 && n < len(hits)/4 {
		hits = firstKeyTop(hits, cols[0], n)
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

// firstKeyTop narrows hits (in place, row order kept) to the rows that can be in the first n:
// those whose first key is at most the n-th smallest first key. Selecting that key is O(m)
// over packed integers, where a heap of m rows costs O(m log n) closure calls (every row
// when the order runs against the row order: sort=-createDate); the rows left (n, plus
// ties on the boundary key) are then ordered by every key as before.
func firstKeyTop(hits []int32, sc sortCol, n int) []int32 {
	if n == 0 {
		return hits[:0]
	}
	buf := keyBufs.Get().(*[]uint64)
	keys := slices.Grow((*buf)[:0], len(hits))[:len(hits)]
	for i, r := range hits {
		keys[i] = uint64(sc.key(r))<<32 | uint64(i) // unique: the position breaks ties
	}
	bound := uint32(nthSmallest(keys, n-1) >> 32)
	*buf = keys
	keyBufs.Put(buf)
	kept := hits[:0]
	for _, r := range hits {
		if sc.key(r) <= bound {
			kept = append(kept, r)
		}
	}
	return kept
}

// keyBufs are firstKeyTop's packed keys, reused: a query's garbage is what drives its p99.
var keyBufs = sync.Pool{New: func() any { return new([]uint64) }}

// key is row r's rank, flipped when descending, so that smaller always comes first (a null,
// rank 0, comes first ascending and last descending, as in order).
func (sc sortCol) key(r int32) uint32 {
	k := sc.rank[sc.col.first(int(r))]
	if sc.desc {
		k = ^k
	}
	return k
}

// nthSmallest returns the k-th smallest (0-based) of distinct keys, reordering them: a
// quickselect with a median-of-three pivot, which falls back to sorting what is left when it
// partitions badly, so it never costs more than a sort.
func nthSmallest(keys []uint64, k int) uint64 {
	lo, hi := 0, len(keys)-1
	for budget := 2 * bits.Len(uint(len(keys))); lo < hi; budget-- {
		if budget == 0 {
			slices.Sort(keys[lo : hi+1])
			return keys[k]
		}
		mid := lo + (hi-lo)/2
		pivot := median3(keys[lo], keys[mid], keys[hi])
		i, j := lo, hi
		for i <= j {
			for keys[i] < pivot {
				i++
			}
			for keys[j] > pivot {
				j--
			}
			if i <= j {
				keys[i], keys[j] = keys[j], keys[i]
				i, j = i+1, j-1
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return keys[k]
		}
	}
	return keys[k]
}

func median3(a, b, c uint64) uint64 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	return max(a, b)
}

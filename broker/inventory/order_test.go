package inventory

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// nthSmallest agrees with a sort on orders that defeat naive pivots (sorted, reversed,
// organ-pipe) and on random ones, for every k.
func TestNthSmallestMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name string
		key  func(i, n int) uint64
	}{
		{"sorted", func(i, n int) uint64 { return uint64(i) }},
		{"reversed", func(i, n int) uint64 { return uint64(n - i) }},
		{"organ pipe", func(i, n int) uint64 { return uint64(min(i, n-i))<<32 | uint64(i) }},
		{"random", func(i, n int) uint64 { return r.Uint64()&^0xffffffff | uint64(i) }},
	} {
		for _, n := range []int{1, 2, 3, 10, 257} {
			keys := make([]uint64, n)
			for i := range keys {
				keys[i] = tc.key(i, n)
			}
			want := slices.Sorted(slices.Values(keys))
			for k := range n {
				if got := nthSmallest(slices.Clone(keys), k); got != want[k] {
					t.Fatalf("%s n=%d k=%d: got %d, want %d", tc.name, n, k, got, want[k])
				}
			}
		}
	}
}

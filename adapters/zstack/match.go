package zstack

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"cloudbroker/broker/inventory"
)

// matcher applies a condition to one field's values with the inventory's semantics, for what
// the inventory does not hold: the finite values of enum and provider-derived fields, and small
// lists such as ISO candidates. A list matches when any element does (a negation when none
// does); two decimal numbers compare as numbers, anything else as strings.
type matcher func(vals []string) bool

func compileMatch(c cond) matcher {
	anyOf := func(pred func(string) bool) matcher {
		return func(vals []string) bool { return slices.ContainsFunc(vals, pred) }
	}
	not := func(m matcher) matcher { return func(vals []string) bool { return !m(vals) } }
	switch c.Op {
	case inventory.OpIsNull:
		return func(vals []string) bool { return len(vals) == 0 }
	case inventory.OpNotNull:
		return func(vals []string) bool { return len(vals) > 0 }
	case inventory.OpIn, inventory.OpNotIn:
		set := c.values()
		m := anyOf(func(v string) bool { return slices.Contains(set, v) }) // exact text, as the inventory
		if c.Op == inventory.OpNotIn {
			return not(m)
		}
		return m
	case inventory.OpLike, inventory.OpNotLike:
		// parseCondition checked the pattern's bounds: every cond reaching here passed them.
		l, err := inventory.ParseLike(c.Value)
		if err != nil {
			return func([]string) bool { return false }
		}
		m := anyOf(l.Match)
		if c.Op == inventory.OpNotLike {
			return not(m)
		}
		return m
	case inventory.OpEq:
		return anyOf(func(v string) bool { return equalValues(v, c.Value) })
	case inventory.OpNe:
		return not(anyOf(func(v string) bool { return equalValues(v, c.Value) }))
	case inventory.OpGt:
		return anyOf(func(v string) bool { return compareValues(v, c.Value) > 0 })
	case inventory.OpLt:
		return anyOf(func(v string) bool { return compareValues(v, c.Value) < 0 })
	case inventory.OpGe:
		return anyOf(func(v string) bool { return compareValues(v, c.Value) >= 0 })
	case inventory.OpLe:
		return anyOf(func(v string) bool { return compareValues(v, c.Value) <= 0 })
	}
	return func([]string) bool { return false }
}

// number parses plain decimals only, as the inventory does ("0e8" and "inf" stay strings).
func number(s string) (float64, bool) {
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' && i == 0:
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

func equalValues(a, b string) bool {
	x, xok := number(a)
	y, yok := number(b)
	if xok && yok {
		return x == y
	}
	return a == b
}

// compareValues orders numbers numerically and before other strings, strings as strings.
func compareValues(a, b string) int {
	x, xok := number(a)
	y, yok := number(b)
	switch {
	case xok && yok:
		return cmp.Compare(x, y)
	case xok:
		return -1
	case yok:
		return 1
	}
	return strings.Compare(a, b)
}

package inventory

import (
	"strings"
	"unicode/utf8"

	"cloudbroker/broker/model"
)

// LIKE patterns (~= and !~=) come from callers, so what one costs is bounded: a pattern is at
// most MaxLikeBytes long with at most MaxLikeWildcards wildcards, and it is matched by a
// greedy two-pointer scan (O(len(pattern)·len(value)) worst case, no allocation, no regexp
// to compile), so twelve maximal patterns over 100,000 VMs cost CPU, not memory.
const (
	MaxLikeBytes     = 256
	MaxLikeWildcards = 16
)

// Like is a checked SQL LIKE pattern: % matches any run of characters (newlines too), _ one
// character; everything else matches itself. There is no escape character, as in ZStack.
type Like struct {
	p string
	// min is the fewest bytes a matching value has: a value shorter than that is refused
	// without a scan (a long pattern against short names costs nothing).
	min int
	// shape is the common patterns' shortcut (a prefix, a suffix, a substring, the exact
	// text): one strings call instead of the general scan; lit is their literal text.
	shape likeShape
	lit   string
}

type likeShape uint8

const (
	likeGeneral likeShape = iota
	likeExact
	likePrefix
	likeSuffix
	likeContains
)

// shapeOf recognizes the patterns a strings function matches exactly like the scan does: no _,
// % only at the ends, valid UTF-8 with no U+FFFD (which the scan lets an invalid byte match).
func shapeOf(p string) (likeShape, string) {
	if strings.ContainsRune(p, '_') || !utf8.ValidString(p) || strings.ContainsRune(p, utf8.RuneError) {
		return likeGeneral, ""
	}
	pre, suf := strings.HasPrefix(p, "%"), strings.HasSuffix(p, "%") && len(p) > 1
	lit := strings.TrimSuffix(strings.TrimPrefix(p, "%"), "%")
	if strings.Contains(lit, "%") {
		return likeGeneral, ""
	}
	switch {
	case pre && suf:
		return likeContains, lit
	case pre:
		return likeSuffix, lit
	case suf:
		return likePrefix, lit
	}
	return likeExact, lit
}

func newLike(p string) Like {
	l := Like{p: p}
	l.shape, l.lit = shapeOf(p)
	for i := 0; i < len(p); {
		r, w := utf8.DecodeRuneInString(p[i:])
		switch {
		case r == '%':
		case r == '_', r == utf8.RuneError: // one character, or one invalid byte, at least
			l.min++
		default:
			l.min += w
		}
		i += w
	}
	return l
}

// ParseLike checks a pattern against the bounds; an error wraps model.ErrInvalid and names
// the bound.
func ParseLike(p string) (Like, error) {
	if len(p) > MaxLikeBytes {
		return Like{}, model.Errorf(model.ErrInvalid, "~= pattern is %d bytes long; the limit is %d bytes", len(p), MaxLikeBytes)
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '%' || p[i] == '_' {
			n++
		}
	}
	if n > MaxLikeWildcards {
		return Like{}, model.Errorf(model.ErrInvalid, "~= pattern has %d wildcards (%% and _); the limit is %d", n, MaxLikeWildcards)
	}
	return newLike(p), nil
}

// Match reports whether the whole of s matches. Characters are compared as runes, so _ is one
// character of a multi-byte one; invalid UTF-8 bytes count one character each.
func (l Like) Match(s string) bool {
	if len(s) < l.min {
		return false
	}
	switch l.shape {
	case likeExact:
		return s == l.lit
	case likePrefix:
		return strings.HasPrefix(s, l.lit)
	case likeSuffix:
		return strings.HasSuffix(s, l.lit)
	case likeContains:
		return strings.Contains(s, l.lit)
	}
	p := l.p
	pi, si := 0, 0
	// star is the pattern position after the last % seen, and starS the value position it
	// was tried from: on a mismatch the % absorbs one more character and matching resumes.
	// Going back only to the last % is enough (greedy glob): an earlier % could absorb
	// anything the later one would, so no other backtracking is needed.
	star, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '%':
				pi++
				star, starS = pi, si
				continue
			case '_':
				_, w := utf8.DecodeRuneInString(s[si:])
				pi, si = pi+1, si+w
				continue
			default:
				if p[pi] < utf8.RuneSelf && s[si] < utf8.RuneSelf { // ASCII: no decoding
					if p[pi] == s[si] {
						pi, si = pi+1, si+1
						continue
					}
					break
				}
				pr, pw := utf8.DecodeRuneInString(p[pi:])
				sr, sw := utf8.DecodeRuneInString(s[si:])
				if pr == sr {
					pi, si = pi+pw, si+sw
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starS:])
		starS += w
		pi, si = star, starS
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}

package inventory

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"cloudbroker/broker/model"
)

// likeRegexp is the translation the inventory used before Like: the reference the matcher is
// fuzzed against. (?s) because % matches newlines too (the old one's .* did not: a value
// with a newline is the one behaviour that changed).
func likeRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)^")
	for _, r := range p {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func TestLikeMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"%", "", true},
		{"%", "anything", true},
		{"_", "", false},
		{"_", "é", true}, // one character, two bytes
		{"__", "é", false},
		{"IntelCore%", "IntelCoreI7", true},
		{"IntelCore%", "IntelCor", false},
		{"%Core%", "IntelCoreI7", true},
		{"%7", "IntelCoreI7", true},
		{"%I_", "IntelCoreI7", true},
		{"a%b%c", "aXbYbZc", true},
		{"a%b%c", "aXbYbZ", false},
		{"a%%b", "ab", true},
		{"db.%", "db-1", false}, // regexp characters are literal
		{"db.%", "db.1", true},
		{"%a%a%a%a%a%a%a%b", strings.Repeat("a", 200), false},
		{"%\n%", "a\nb", true},
		{"\xff%", "\xffa", true}, // invalid UTF-8 bytes are characters too
	} {
		l, err := ParseLike(tc.pattern)
		if err != nil {
			t.Fatalf("ParseLike(%q): %v", tc.pattern, err)
		}
		if got := l.Match(tc.s); got != tc.want {
			t.Errorf("%q LIKE %q = %v, want %v", tc.s, tc.pattern, got, tc.want)
		}
	}
}

func TestParseLikeBounds(t *testing.T) {
	for _, tc := range []struct {
		pattern, mention string
	}{
		{strings.Repeat("a", MaxLikeBytes+1), "the limit is 256 bytes"},
		{strings.Repeat("%", MaxLikeWildcards+1), "the limit is 16"},
		{strings.Repeat("a_", MaxLikeWildcards+1), "has 17 wildcards"},
		{strings.Repeat("x", 1<<20), "is 1048576 bytes long"},
	} {
		_, err := ParseLike(tc.pattern)
		if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("ParseLike(%.20q...) = %v, want ErrInvalid mentioning %q", tc.pattern, err, tc.mention)
		}
	}
	for _, p := range []string{strings.Repeat("a", MaxLikeBytes), strings.Repeat("%", MaxLikeWildcards)} {
		if _, err := ParseLike(p); err != nil {
			t.Errorf("ParseLike at the bound: %v", err)
		}
	}
	// The inventory refuses what ParseLike refuses.
	ix := NewIndex()
	_, err := ix.Query(Query{Conditions: []Condition{{Field: "name", Op: OpNotLike, Values: []string{strings.Repeat("_", 17)}}}})
	if !errors.Is(err, model.ErrInvalid) {
		t.Errorf("over-bound pattern in a query: %v, want ErrInvalid", err)
	}
}

// FuzzLike: the matcher agrees with the regexp translation it replaced.
func FuzzLike(f *testing.F) {
	for _, s := range [][2]string{
		{"IntelCore%", "IntelCoreI7"}, {"%a%b", "aab"}, {"_%_", "ab"}, {"a%", ""}, {"%_%", "é"},
		{"%%", "\n"}, {"a_c", "a\xffc"}, {"\xff", "\xfe"}, {"%.%", "a.b"}, {"x%y%z", "xyzxyz"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, p, s string) {
		if len(p) > 64 || len(s) > 256 {
			return // the reference's cost grows with these; small inputs cover the logic
		}
		l := newLike(p) // unbounded on purpose: the bounds are tested apart
		if got, want := l.Match(s), likeRegexp(p).MatchString(s); got != want {
			t.Fatalf("%q LIKE %q = %v, the regexp says %v", s, p, got, want)
		}
	})
}

// A query whose context is done stops with ErrTimeout (a deadline) or ErrCanceled.
func TestQueryContextStops(t *testing.T) {
	ix := NewIndex()
	for _, n := range []int{10, parallelScanMin + 1} { // the serial and the parallel scan
		ix.Reset(synthetic(n))
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		_, err := ix.QueryContext(ctx, Query{})
		cancel()
		if !errors.Is(err, model.ErrTimeout) {
			t.Errorf("%d VMs, deadline passed: %v, want ErrTimeout", n, err)
		}
		ctx, cancel = context.WithCancel(context.Background())
		cancel()
		if _, err := ix.QueryContext(ctx, Query{}); !errors.Is(err, model.ErrCanceled) {
			t.Errorf("%d VMs, canceled: %v, want ErrCanceled", n, err)
		}
		if r, err := ix.QueryContext(context.Background(), Query{Limit: 1}); err != nil || r.Total != n {
			t.Errorf("%d VMs, live context: total %d, %v", n, r.Total, err)
		}
	}
}

var benchNames = func() []string {
	out := make([]string, 1000)
	for i, vm := range synthetic(len(out)) {
		out[i] = vm.Name + "-" + vm.GuestOS + "-" + vm.NICs[0].MAC
	}
	return out
}()

// BenchmarkLike compares the matcher with the regexp translation it replaced, on a typical
// pattern and on a maximal wildcard-heavy one, over 1,000 values per iteration; "compile"
// includes building the matcher, once per iteration as a query does.
func BenchmarkLike(b *testing.B) {
	maximal := strings.Repeat("%a", MaxLikeWildcards/2) + strings.Repeat("b", MaxLikeBytes-MaxLikeWildcards)
	for _, bc := range []struct{ name, p string }{
		{"typical", "vm-0%"},
		{"maximal", maximal},
		{"wildcard-heavy", strings.Repeat("%0", MaxLikeWildcards-1) + "%x"},
	} {
		b.Run(bc.name+"/like", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l, _ := ParseLike(bc.p)
				for _, s := range benchNames {
					l.Match(s)
				}
			}
		})
		b.Run(bc.name+"/regexp", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				re := likeRegexp(bc.p)
				for _, s := range benchNames {
					re.MatchString(s)
				}
			}
		})
	}
}

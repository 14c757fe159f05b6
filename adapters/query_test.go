package adapters

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
)

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want url.Values
	}{
		{"", url.Values{}},
		{"q=name~=IntelCore%25", url.Values{"q": {"name~=IntelCore%"}}},
		{"q=name%3Da+b&q=x%21%3D1", url.Values{"q": {"name=a b", "x!=1"}}},
		{"a&&b=&", url.Values{"a": {""}, "b": {""}}},
		{"q=a=b=c", url.Values{"q": {"a=b=c"}}},
		{"%71=1", url.Values{"q": {"1"}}},
		{"q=%E5%90%8D", url.Values{"q": {"名"}}},
	} {
		got, err := ParseQuery(tc.raw)
		if err != nil {
			t.Errorf("ParseQuery(%q): %v", tc.raw, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseQuery(%q) (-want +got):\n%s", tc.raw, diff)
		}
	}
	for _, tc := range []struct{ raw, mention string }{
		{"q=name~=IntelCore%", `parameter "q": malformed percent-escape "%" at byte 15`},
		{"q=name~=%Core", `"%Co" at byte 6`},
		{"limit=1%2", `parameter "limit": malformed percent-escape "%2"`},
		{"hostUuids=%zz", `parameter "hostUuids"`},
		{"q=a&sort=%", `parameter "sort"`},
		{"q%=1", `parameter name "q%"`},
		{"q=%ff", `parameter "q": not valid UTF-8`},
		{"q=a;b", `parameter "q": a raw ';' is not allowed`},
	} {
		_, err := ParseQuery(tc.raw)
		if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("ParseQuery(%q) = %v; want an invalid-request error mentioning %q", tc.raw, err, tc.mention)
		}
	}
}

// FuzzParseQuery: what parses agrees with url.ParseQuery; what url.ParseQuery cannot decode
// is refused, never dropped.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"q=name=a&limit=10", "q=name~=IntelCore%", "q=%25", "a=%zz&b=1", "a;b=1", "+=+", "q=%E5%90%8D", "&&", "%=%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := ParseQuery(raw)
		want, werr := url.ParseQuery(raw)
		if err != nil {
			if !errors.Is(err, model.ErrInvalid) {
				t.Fatalf("ParseQuery(%q): %v is not an invalid-request error", raw, err)
			}
			return
		}
		if werr != nil {
			t.Fatalf("ParseQuery(%q) = %v, but url.ParseQuery refuses it: %v", raw, got, werr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("ParseQuery(%q) (-url.ParseQuery +parseParams):\n%s", raw, diff)
		}
	})
}

package zstack

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
)

func TestParseParams(t *testing.T) {
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
		got, err := parseParams(tc.raw)
		if err != nil {
			t.Errorf("parseParams(%q): %v", tc.raw, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("parseParams(%q) (-want +got):\n%s", tc.raw, diff)
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
		_, err := parseParams(tc.raw)
		if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("parseParams(%q) = %v; want an invalid-request error mentioning %q", tc.raw, err, tc.mention)
		}
	}
}

// FuzzParseParams: what parses agrees with url.ParseQuery; what url.ParseQuery cannot decode
// is refused, never dropped.
func FuzzParseParams(f *testing.F) {
	for _, s := range []string{
		"q=name=a&limit=10", "q=name~=IntelCore%", "q=%25", "a=%zz&b=1", "a;b=1", "+=+", "q=%E5%90%8D", "&&", "%=%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := parseParams(raw)
		want, werr := url.ParseQuery(raw)
		if err != nil {
			if !errors.Is(err, model.ErrInvalid) {
				t.Fatalf("parseParams(%q): %v is not an invalid-request error", raw, err)
			}
			return
		}
		if werr != nil {
			t.Fatalf("parseParams(%q) = %v, but url.ParseQuery refuses it: %v", raw, got, werr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("parseParams(%q) (-url.ParseQuery +parseParams):\n%s", raw, diff)
		}
	})
}

// StrictQuery refuses a request whose query string does not decode before its handler runs,
// and lets the others through with their parameters decoded once.
func TestStrictQuery(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/x", StrictQuery, func(c *gin.Context) {
		v, err := requestParams(c)
		if err != nil {
			t.Errorf("requestParams after StrictQuery: %v", err)
		}
		c.String(http.StatusOK, v.Get("a"))
	})
	for _, tc := range []struct {
		target string
		code   int
		body   string
	}{
		{"/x?a=%25", http.StatusOK, "%"},
		{"/x?a=%", http.StatusBadRequest, `invalid query parameter \"a\": malformed percent-escape`},
	} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.target, nil))
		if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.body) {
			t.Errorf("GET %s: %d %s; want %d with %q", tc.target, w.Code, w.Body, tc.code, tc.body)
		}
	}
}

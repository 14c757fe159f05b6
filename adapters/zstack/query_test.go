package zstack

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/adapters"
	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

func TestParseCondition(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want cond
	}{
		{"name=vm1", cond{"name", inventory.OpEq, "vm1"}},
		{"name!=web-vm", cond{"name", inventory.OpNe, "web-vm"}},
		{"cpuNum>5", cond{"cpuNum", inventory.OpGt, "5"}},
		{"cpuNum<5", cond{"cpuNum", inventory.OpLt, "5"}},
		{"totalCapacity>=2000", cond{"totalCapacity", inventory.OpGe, "2000"}},
		{"memorySize<=1024", cond{"memorySize", inventory.OpLe, "1024"}},
		{"uuid?=a,b", cond{"uuid", inventory.OpIn, "a,b"}},
		{"name!?=VM1,VM2", cond{"name", inventory.OpNotIn, "VM1,VM2"}},
		{"name~=IntelCore%", cond{"name", inventory.OpLike, "IntelCore%"}},
		{"name!~=IntelCore_7", cond{"name", inventory.OpNotLike, "IntelCore_7"}},
		{"vmInstanceUuid is null", cond{"vmInstanceUuid", inventory.OpIsNull, ""}},
		{"vmInstanceUuid not null", cond{"vmInstanceUuid", inventory.OpNotNull, ""}},
		{"vmNics.ip=192.168.10.100", cond{"vmNics.ip", inventory.OpEq, "192.168.10.100"}},
		{"vmNics.eip.ip=1.2.3.4", cond{"vmNics.eip.ip", inventory.OpEq, "1.2.3.4"}},
		{"__systemTag__=staticIp:10.10.1.20", cond{"__systemTag__", inventory.OpEq, "staticIp:10.10.1.20"}},
		// The value is everything after the operator, untrimmed, and may hold operators.
		{"name= spaced ", cond{"name", inventory.OpEq, " spaced "}},
		{"name=a!=b", cond{"name", inventory.OpEq, "a!=b"}},
		{"name=", cond{"name", inventory.OpEq, ""}},
		{"description==x", cond{"description", inventory.OpEq, "=x"}},
	} {
		got, err := parseCondition(tc.in)
		if err != nil {
			t.Errorf("parseCondition(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("parseCondition(%q) (-want +got):\n%s", tc.in, diff)
		}
		if got.String() != tc.in {
			t.Errorf("parseCondition(%q).String() = %q", tc.in, got.String())
		}
	}
}

func TestParseConditionErrors(t *testing.T) {
	for _, tc := range []struct{ in, mention string }{
		{"", "must start with a field name"},
		{"=vm1", "must start with a field name"},
		{"name", `no operator after field "name"`},
		{"uuid = 2550", "no spaces are allowed"},
		{"name  is null", `exactly one space`},
		{"name isnull", `is not an operator`},
		{"name:vm1", `":vm1" after field "name" is not an operator`},
		{"vmNics..ip=1", `empty path segment`},
		{".ip=1", `empty path segment`},
	} {
		_, err := parseCondition(tc.in)
		if err == nil || !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("parseCondition(%q) = %v; want an invalid-request error mentioning %q", tc.in, err, tc.mention)
		}
	}
}

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want listQuery
	}{
		{"", listQuery{Limit: 1000}},
		{"q=name=a&q=state=Running&limit=10&start=5", listQuery{Conds: []cond{{"name", inventory.OpEq, "a"}, {"state", inventory.OpEq, "Running"}}, Limit: 10, Start: 5}},
		{"condition=state=Running", listQuery{Conds: []cond{{"state", inventory.OpEq, "Running"}}, Limit: 1000}},
		{"count=true", listQuery{Limit: 1000, Count: true}},
		{"replyWithCount=TRUE&limit=0", listQuery{Limit: 0, ReplyWithCount: true}},
		{"sort=%2Bname", listQuery{Limit: 1000, Sort: &sortKey{Field: "name"}}},
		{"sort=-createDate", listQuery{Limit: 1000, Sort: &sortKey{Field: "createDate", Desc: true}}},
		{"sort=cpuNum", listQuery{Limit: 1000, Sort: &sortKey{Field: "cpuNum"}}},
		{"sortBy=name&sortDirection=desc", listQuery{Limit: 1000, Sort: &sortKey{Field: "name", Desc: true}}},
		{"sortBy=name", listQuery{Limit: 1000, Sort: &sortKey{Field: "name"}}},
		{"fields=uuid,name&fields=state", listQuery{Limit: 1000, Fields: []string{"uuid", "name", "state"}}},
		{"groupBy=state", listQuery{Limit: 1000, GroupBy: "state"}},
		{"systemTags=x&filterName=y", listQuery{Limit: 1000}},
	} {
		v, err := adapters.ParseQuery(tc.in)
		if err != nil {
			t.Fatalf("adapters.ParseQuery(%q): %v", tc.in, err)
		}
		got, err := parseQuery(v)
		if err != nil {
			t.Errorf("parseQuery(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("parseQuery(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
	for _, tc := range []struct{ in, mention string }{
		{"limit=ten", "'limit' must be an integer"},
		{"limit=-1", "'limit' must be >= 0"},
		{"start=x", "'start' must be an integer"},
		{"count=yes", "'count' must be true or false"},
		{"replyWithCount=1", "'replyWithCount' must be true or false"},
		{"sort=-", "'sort' needs a field name"},
		{"sort=name&sortBy=name", "either 'sort' or 'sortBy'"},
		{"sortBy=name&sortDirection=up", "'sortDirection' must be asc or desc"},
		{"sortDirection=asc", "'sortDirection' goes with 'sortBy'"},
		{"fields=,", "'fields' contains zero field"},
		{"groupBy=", "'groupBy' needs a field name"},
		{"q=name", `no operator after field "name"`},
		{"q=name", `query parameter 'q'`},
		{"condition=x~=" + strings.Repeat("a", 257), `query parameter 'condition'`},
		{"q=x~=" + strings.Repeat("a", 257), "the limit is 256 bytes"},
		{"q=x!~=" + strings.Repeat("%25", 17), "the limit is 16"},
		{"limit=1&limit=2", "'limit' is given 2 times"},
		{"sort=a&sort=b", "'sort' is given 2 times"},
		{"groupBy=a&groupBy=b", "'groupBy' is given 2 times"},
	} {
		v, err := adapters.ParseQuery(tc.in)
		if err != nil {
			t.Fatalf("adapters.ParseQuery(%q): %v", tc.in, err)
		}
		_, err = parseQuery(v)
		if err == nil || !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("parseQuery(%q) = %v; want an invalid-request error mentioning %q", tc.in, err, tc.mention)
		}
	}
}

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		zs   string
	}{
		{model.Errorf(model.ErrInvalid, "x"), http.StatusBadRequest, "SYS.1007"},
		{model.Errorf(model.ErrTooLarge, "x"), http.StatusBadRequest, "SYS.1007"},
		{model.Errorf(model.ErrNotFound, "x"), http.StatusNotFound, "SYS.1003"},
		{errNoRoute, http.StatusNotFound, "SYS.1008"},
		{errNoMethod, http.StatusMethodNotAllowed, "SYS.1008"},
		{errLogin, http.StatusServiceUnavailable, "ID.1000"},
		{errSession, http.StatusServiceUnavailable, "ID.1001"},
		{model.Errorf(model.ErrUnauthorized, "provider refused the broker's credentials"), http.StatusServiceUnavailable, "SYS.1006"},
		{model.Errorf(model.ErrUnsupported, "x"), http.StatusServiceUnavailable, "SYS.1014"},
		{model.Errorf(model.ErrTimeout, "x"), http.StatusServiceUnavailable, "SYS.1001"},
		{model.Errorf(model.ErrUnavailable, "x"), http.StatusServiceUnavailable, "SYS.1006"},
		{model.Errorf(model.ErrConflict, "x"), http.StatusServiceUnavailable, "SYS.1006"},
		{&model.TaskError{Kind: "not_found", Message: "gone"}, http.StatusNotFound, "SYS.1003"},
		{errors.New("boom"), http.StatusInternalServerError, "SYS.1000"},
	} {
		code, zs := status(tc.err)
		if code != tc.code || zs != tc.zs {
			t.Errorf("status(%v) = %d %s, want %d %s", tc.err, code, zs, tc.code, tc.zs)
		}
		if descriptions[zs] == "" {
			t.Errorf("code %s has no description", zs)
		}
	}
}

// FuzzParseCondition: any text either parses to a condition that writes back to the same
// text, or fails with an invalid-request error (400); never a panic.
func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{
		"name=vm1", "uuid?=a,b", "name!?=VM1,VM2", "name~=Intel%", "name!~=a_b", "x is null", "x not null",
		"cpuNum>=5", "cpuNum<=5", "a>b", "a<b", "a!=b", "vmNics.ip=1.2.3.4", "__userTag__=x", "uuid = x",
		"", "=", "name", "a..b=1", "name  is null", "名字=虚拟机", "a=\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCondition(s)
		if err != nil {
			if code, _ := status(err); !errors.Is(err, model.ErrInvalid) || code != http.StatusBadRequest {
				t.Fatalf("parseCondition(%q): %v maps to %d, want a 400", s, err, code)
			}
			return
		}
		if c.String() != s {
			t.Fatalf("parseCondition(%q) = %+v, which writes back as %q", s, c, c.String())
		}
		if c.Field == "" || !strings.HasPrefix(s, c.Field) {
			t.Fatalf("parseCondition(%q): field %q", s, c.Field)
		}
		// Whatever parses must also be evaluated by the engine, without an error or a panic.
		if _, err := matching(c, []string{"x", "1"}); err != nil {
			t.Fatalf("parseCondition(%q) parses, but the engine refuses it: %v", s, err)
		}
	})
}

// FuzzParseQuery: any query string parses to a bounded query or fails with a 400.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"q=name=a&limit=10&start=2", "count=true", "replyWithCount=true", "sort=-name", "sortBy=a&sortDirection=desc",
		"fields=a,b", "groupBy=state", "limit=99999999999999999999", "q=%zz", "q=a%3Db&q=c%21%3Dd", "sort=%2B",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := adapters.ParseQuery(raw)
		if err != nil {
			if !errors.Is(err, model.ErrInvalid) {
				t.Fatalf("adapters.ParseQuery(%q): %v is not an invalid-request error", raw, err)
			}
			return
		}
		q, err := parseQuery(v)
		if err != nil {
			if !errors.Is(err, model.ErrInvalid) {
				t.Fatalf("parseQuery(%q): %v is not an invalid-request error", raw, err)
			}
			return
		}
		if q.Limit < 0 || q.Start < 0 || (q.Sort != nil && q.Sort.Field == "") {
			t.Fatalf("parseQuery(%q) = %+v", raw, q)
		}
	})
}

package adapters_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/test/harness"
)

// A query string that does not decode is refused by the edge on every dialect, in the
// dialect's shape, before any handler: also on routes that read no parameter (a ZStack
// licence, a login), where it used to be ignored. Credentials are checked first, so an
// unauthenticated caller learns nothing from it.
func TestEdgeRefusesUndecodableQueryStrings(t *testing.T) {
	b := harness.Start(t, harness.Options{Tune: zstackAdmin})
	admin := harness.Bearer(harness.AdminToken)
	session := zstackSession(t, b)
	got := map[string]answer{}
	for name, r := range map[string]struct {
		method, path string
		body         any
		header       []string
	}{
		"vcproxy":              {http.MethodPost, "/api/vm/list?x=%zz", nil, admin},
		"vcproxy no token":     {http.MethodPost, "/api/vm/list?x=%zz", nil, nil},
		"didi":                 {http.MethodPost, "/dicloud/i/storage/cimg/list?requestId=%", map[string]any{"regionId": "region-1", "limit": 1}, admin},
		"zstack licence":       {http.MethodGet, "/zstack/v1/licenses?x=%E5%90", nil, session},
		"zstack login":         {http.MethodPut, "/zstack/v1/accounts/login?x=%", zstackLogin("admin", adminPassword), nil},
		"zstack getVersion":    {http.MethodPut, "/zstack/v1/management-nodes/actions?x=%", map[string]any{"getVersion": map[string]any{}}, nil},
		"zstack vm query (ok)": {http.MethodGet, "/zstack/v1/vm-instances?q=name~=DC0%25&limit=1", nil, session},
	} {
		got[name] = send(t, b, r.method, r.path, r.body, r.header...)
	}
	want := map[string]answer{
		"vcproxy":              {Code: 400, Vendor: "400"},
		"vcproxy no token":     {Code: 401, Vendor: "401"},
		"didi":                 {Code: 400, Vendor: "1"},
		"zstack licence":       {Code: 400, Vendor: "SYS.1007"},
		"zstack login":         {Code: 400, Vendor: "SYS.1007"},
		"zstack getVersion":    {Code: 400, Vendor: "SYS.1007"},
		"zstack vm query (ok)": {Code: 200},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

package didi_test

import (
	"net/http"
	"strings"
	"testing"

	"cloudbroker/config"
	"cloudbroker/test/harness"
)

// twoRegions: vc1 in bj (the tenant token's provider), vc2 in sh; bodies over 1 KiB refused.
func twoRegions(c *config.Config) {
	c.Providers[0].Region, c.Providers[0].Zones = "bj", []string{"bj01"}
	c.Providers[1].Region, c.Providers[1].Zones = "sh", []string{"sh01"}
	c.HTTP.MaxBodyBytes = 1024
}

// Every error is the dialect's JSON: errno != 0, a clear errmsg, the request's id; the HTTP
// status says the same (see errors.go).
func TestErrors(t *testing.T) {
	b := harness.Start(t, harness.Options{Simulators: 2, Tune: twoRegions})
	ok := map[string]any{"regionId": "bj", "limit": 10}
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		header                    []string
		wantCode, wantErrno       int
		wantMsg                   string
	}{
		{"no token", "POST", listPath, "", ok, nil, 401, 4, "missing Authorization: Bearer"},
		{"bad token", "POST", listPath, "not-a-valid-token-xxxx", ok, nil, 401, 4, "invalid token"},
		{"not a Bearer token", "POST", listPath, "", ok, []string{"Authorization", "Basic " + admin}, 401, 4, `must be "Bearer <token>"`},
		{"malformed JSON", "POST", listPath, admin, `{"regionId": "bj", `, nil, 400, 13, "malformed JSON body"},
		{"not an object", "POST", listPath, admin, `["bj"]`, nil, 400, 13, "malformed JSON body"},
		{"trailing data", "POST", listPath, admin, `{"regionId":"bj","limit":1} {}`, nil, 400, 13, "trailing data"},
		{"limit as a string", "POST", listPath, admin, `{"regionId":"bj","limit":"10"}`, nil, 400, 13, `field "limit" must be int`},
		{"empty body", "POST", listPath, admin, nil, nil, 400, 1, "regionId is required"},
		{"missing regionId", "POST", listPath, admin, map[string]any{"limit": 10}, nil, 400, 1, "regionId is required"},
		{"missing limit", "POST", listPath, admin, map[string]any{"regionId": "bj"}, nil, 400, 1, "limit is required"},
		{"limit 0", "POST", listPath, admin, map[string]any{"regionId": "bj", "limit": 0}, nil, 400, 1, "limit 0 must be between 1 and 100"},
		{"limit too large", "POST", listPath, admin, map[string]any{"regionId": "bj", "limit": 101}, nil, 400, 1, "limit 101 must be between 1 and 100"},
		{"negative start", "POST", listPath, admin, map[string]any{"regionId": "bj", "limit": 1, "start": -1}, nil, 400, 1, "start -1 must be >= 0"},
		{"empty name", "POST", listPath, admin, map[string]any{"regionId": "bj", "limit": 1, "condition": map[string]any{"names": []string{"a", ""}}}, nil, 400, 1, "condition.names[1]"},
		{"regionId too long", "POST", listPath, admin, map[string]any{"regionId": strings.Repeat("r", 65), "limit": 1}, nil, 400, 1, "regionId is longer than 64"},
		{"unknown region", "POST", listPath, admin, map[string]any{"regionId": "gz", "limit": 1}, nil, 404, 16000002, `region "gz" (regions: [bj sh])`},
		{"region the tenant does not see", "POST", listPath, harness.TenantToken, map[string]any{"regionId": "sh", "limit": 1}, nil, 404, 16000002, `region "sh" (regions: [bj])`},
		{"body too large", "POST", listPath, admin, `{"regionId":"` + strings.Repeat("b", 2000) + `"}`, nil, 413, 13, "exceeds 1024 bytes"},
		{"unknown API", "POST", "/dicloud/i/storage/cimg/nope", admin, ok, nil, 404, 13, "no such API: POST /dicloud/i/storage/cimg/nope"},
		{"unknown API without a token", "POST", "/dicloud/i/compute/dc2/list", "", ok, nil, 404, 13, "no such API"},
		{"wrong method", "GET", listPath, admin, nil, nil, 405, 13, "method GET not allowed on " + listPath + ": the DiDi API takes POST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, b, tc.method, tc.path, tc.token, tc.body, tc.header...)
			a := r.answer(t)
			if r.code != tc.wantCode || a.Errno != tc.wantErrno || !strings.Contains(a.Errmsg, tc.wantMsg) {
				t.Errorf("got HTTP %d %s\nwant HTTP %d, errno %d, errmsg containing %q", r.code, r.body, tc.wantCode, tc.wantErrno, tc.wantMsg)
			}
			if !hex32.MatchString(a.RequestID) || r.header.Get("X-Request-Id") != a.RequestID {
				t.Errorf("requestId %q, X-Request-Id %q: want one 32-hex id in both", a.RequestID, r.header.Get("X-Request-Id"))
			}
			if a.Data != nil {
				t.Errorf("error answer carries data: %s", r.body)
			}
		})
	}
}

// One requestId per request: a sane X-Request-Id from the caller is used as is, anything else
// is replaced; the id is the same in the body, the header and the access log line.
func TestRequestID(t *testing.T) {
	var logs harness.LogBuffer
	b := harness.Start(t, harness.Options{Tune: seedRegion, Log: &logs})
	for _, tc := range []struct {
		name, sent string
		kept       bool
	}{
		{"sane id kept", "trace-7f3a.9:b_2", true},
		{"uuid kept", "4a48f883-9113-4a01-befe-88ff98b68a88", true},
		{"spaces replaced", "trace 1", false},
		{"quotes replaced", `a"b`, false},
		{"too long replaced", strings.Repeat("a", 65), false},
		{"none", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var header []string
			if tc.sent != "" {
				header = []string{"X-Request-Id", tc.sent}
			}
			r := call(t, b, http.MethodPost, listPath, admin, map[string]any{"regionId": "bj", "limit": 1}, header...)
			id := r.answer(t).RequestID
			switch {
			case tc.kept && id != tc.sent:
				t.Errorf("requestId %q, want the caller's %q", id, tc.sent)
			case !tc.kept && !hex32.MatchString(id):
				t.Errorf("requestId %q, want a fresh 32-hex id", id)
			}
			if got := r.header.Get("X-Request-Id"); got != id {
				t.Errorf("X-Request-Id %q, body requestId %q: want the same", got, id)
			}
			if !strings.Contains(logs.String(), "requestId="+id+" ") {
				t.Errorf("no access log line with requestId=%s in:\n%s", id, logs.String())
			}
		})
	}
}

package adapters_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"cloudbroker/test/harness"
)

// With Redis gone, every dialect says the backend is unavailable without naming where it is;
// the log has the address, on the line of the request's id.
func TestErrorsHideInternalAddresses(t *testing.T) {
	var log harness.LogBuffer
	b := harness.Start(t, harness.Options{Log: &log})
	addr := b.Config.Redis.Addr
	b.Redis.Stop()
	for _, r := range []struct {
		method, path string
		body         any
		header       []string
	}{
		{http.MethodPost, "/api/task/info", map[string]any{"taskid": strings.Repeat("a", 32)}, harness.Bearer(harness.AdminToken)},
		{http.MethodPut, "/zstack/v1/accounts/login", zstackLogin("admin", "x"), nil},
		{http.MethodGet, "/zstack/v1/vm-instances", nil, []string{"Authorization", "OAuth " + strings.Repeat("b", 32)}},
	} {
		code, h, body := b.Request(t, r.method, r.path, r.body, r.header...)
		if code < 500 || bytes.Contains(body, []byte(addr)) || !bytes.Contains(body, []byte(`\u003caddress\u003e`)) {
			t.Errorf("%s %s: %d %s; want a 5xx that hides %s", r.method, r.path, code, body, addr)
		}
		rid := h.Get("X-Request-Id")
		var logged bool
		for _, line := range strings.Split(log.String(), "\n") {
			logged = logged || (strings.Contains(line, "requestId="+rid) && strings.Contains(line, addr))
		}
		if !logged {
			t.Errorf("%s %s: no log line with request id %s and the address %s", r.method, r.path, rid, addr)
		}
	}
}

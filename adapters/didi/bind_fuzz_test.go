package didi

import (
	"errors"
	"net/http"
	"testing"

	"cloudbroker/broker/model"
)

// FuzzDecodeCIMGList: any body either decodes to a request that validates, within every bound,
// or fails with an error that wraps model.ErrInvalid and maps to a 400 with errno 1 or 13;
// never a panic, never another kind of error.
func FuzzDecodeCIMGList(f *testing.F) {
	for _, seed := range []string{
		`{"regionId":"bj","limit":1,"condition":{"names":["北京02"]}}`,
		`{"regionId":"bj","start":0,"limit":100}`, `{"regionId":"bj","start":-1,"limit":1}`,
		`{"regionId":"bj","limit":"10"}`, `{"regionId":"","limit":1}`, `{"limit":0}`,
		`{"regionId":"bj","limit":1,"condition":{"names":[""]}}`, `{"regionId":"bj","limit":1,"condition":null}`,
		`{"regionId":"bj","limit":9223372036854775807,"start":9223372036854775807}`,
		`[]`, `{`, ``, `null`, `{"regionId":"bj","limit":1} {}`, `{"regionId":7}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req cimgListRequest
		err := decode(body, &req)
		if err == nil {
			err = req.validate()
		}
		if err != nil {
			code, errno := status(err)
			if !errors.Is(err, model.ErrInvalid) || code != http.StatusBadRequest || (errno != ErrnoInvalid && errno != ErrnoBadCall) {
				t.Fatalf("body %q: error %v maps to %d/%d, want a 400 with errno 1 or 13", body, err, code, errno)
			}
			return
		}
		switch {
		case req.RegionID == "" || len(req.RegionID) > maxRegionLen:
			t.Fatalf("body %q accepted with regionId %q", body, req.RegionID)
		case req.Limit == nil || *req.Limit < 1 || *req.Limit > MaxLimit:
			t.Fatalf("body %q accepted with limit %v", body, req.Limit)
		case req.start() < 0:
			t.Fatalf("body %q accepted with start %d", body, req.start())
		case len(req.names()) > maxNames:
			t.Fatalf("body %q accepted with %d names", body, len(req.names()))
		}
		for _, n := range req.names() {
			if n == "" || len(n) > maxNameLength {
				t.Fatalf("body %q accepted with name %q", body, n)
			}
		}
	})
}

package vcproxy

import (
	"errors"
	"testing"

	"cloudbroker/broker/model"
)

// FuzzDecodeDiskInfo: any body either decodes to a request that validates, or fails with an
// error wrapping model.ErrInvalid (a 400), never a panic or another kind of error.
func FuzzDecodeDiskInfo(f *testing.F) {
	for _, seed := range []string{
		`{"vmid":"0123456789abcdef0123456789abcdef","mode":0,"clientid":"site-1"}`,
		`{"vmid":"x","mode":"1"}`, `{"mode":7}`, `{"vmid":42}`, `[]`, `{`, ``, `{"vmid":"a"} {}`, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req diskInfoRequest
		err := decode(body, &req)
		if err == nil {
			err = req.validate()
		}
		if err != nil && !errors.Is(err, model.ErrInvalid) {
			t.Fatalf("body %q: error %v does not wrap ErrInvalid", body, err)
		}
		if err == nil && (req.VMID == "" || len(req.VMID) > maxIDLen) {
			t.Fatalf("body %q accepted with vmid %q", body, req.VMID)
		}
		if err == nil && req.Mode != nil && *req.Mode != ModeSync && *req.Mode != ModeAsync {
			t.Fatalf("body %q accepted with mode %d", body, *req.Mode)
		}
	})
}

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		bytes int64
		want  string
	}{
		{50 << 30, "50 GB"}, {10 << 20, "10 MB"}, {130 << 20, "130 MB"}, {1536 << 20, "1.5 GB"},
		{512, "512 B"}, {0, "0 B"}, {3 << 40, "3 TB"}, {10737418240, "10 GB"},
	} {
		if got := Summary(tc.bytes); got != tc.want {
			t.Errorf("Summary(%d) = %q, want %q", tc.bytes, got, tc.want)
		}
	}
}

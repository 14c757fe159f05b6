package didi

import (
	"fmt"
	"regexp"
	"testing"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// Each class of error has one status and one errno; wrapping does not change them.
func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		err             error
		code, wantErrno int
	}{
		{model.Errorf(model.ErrInvalid, "limit 0"), 400, ErrnoInvalid},
		{fmt.Errorf("malformed JSON body: x: %w", errBadCall), 400, ErrnoBadCall},
		{model.Errorf(model.ErrTooLarge, "body"), 413, ErrnoBadCall},
		{model.Errorf(model.ErrUnauthorized, "invalid token"), 401, ErrnoAuth},
		{fmt.Errorf("region %q: %w", "gz", broker.ErrUnknownRegion), 404, ErrnoRegion},
		{model.Errorf(model.ErrNotFound, "image"), 404, ErrnoInvalid},
		{noRoute("POST", "/dicloud/x"), 404, ErrnoBadCall},
		{noMethod("GET", "/dicloud/x"), 405, ErrnoBadCall},
		{model.Errorf(model.ErrConflict, "busy"), 409, ErrnoInvalid},
		{model.Errorf(model.ErrUnsupported, "no catalog"), 501, ErrnoBadCall},
		{model.Errorf(model.ErrUnavailable, "vcenter down"), 503, ErrnoSystem},
		{&model.TaskError{Kind: "unavailable", Message: "from a worker"}, 503, ErrnoSystem},
		{model.Errorf(model.ErrTimeout, "slow"), 504, ErrnoRetry},
		{fmt.Errorf("a bug"), 500, ErrnoSystem},
	} {
		code, errno := status(fmt.Errorf("wrapped: %w", tc.err))
		if code != tc.code || errno != tc.wantErrno {
			t.Errorf("status(%v) = %d, %d; want %d, %d", tc.err, code, errno, tc.code, tc.wantErrno)
		}
	}
}

func TestCimgID(t *testing.T) {
	id := broker.ImageUUID("vc1", "vm-42")
	got := cimgID(id)
	if !regexp.MustCompile(`^cimg-[0-9a-z]{8}$`).MatchString(got) || got != cimgID(id) {
		t.Errorf("cimgID(%s) = %q, want a stable cimg-xxxxxxxx", id, got)
	}
	if cimgID(broker.ImageUUID("vc2", "vm-42")) == got {
		t.Error("two images share a cimgId")
	}
	for _, edge := range []string{"0000000000" + id[10:], "ffffffffff" + id[10:]} {
		if got := cimgID(edge); len(got) != len("cimg-")+8 {
			t.Errorf("cimgID(%s) = %q, want 8 characters after cimg-", edge, got)
		}
	}
}

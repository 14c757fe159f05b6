package adapters

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPublicMessageHidesAddresses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"claim task id: dial tcp 127.0.0.1:6379: connect: connection refused: backend unavailable",
			"claim task id: dial tcp <address>: connect: connection refused: backend unavailable"},
		{"vc1: Post \"https://10.0.0.5/sdk\": dial tcp 10.0.0.5:443: i/o timeout",
			"vc1: Post \"<address>\": dial tcp <address>: i/o timeout"},
		{"read tcp [::1]:50412->[::1]:6379: read: connection reset by peer",
			"read tcp <address>-><address>: read: connection reset by peer"},
		{"dial tcp redis-0.redis.svc.cluster.local:6379: no such host", "dial tcp <address>: no such host"},
		{"agent at localhost:9100 is offline", "agent at <address> is offline"},
		{"redis://:secret@cache.internal:6380/0 refused", "<address> refused"},
		// Not addresses: dates, versions, ZStack codes, task ids, providers named like hosts.
		{"session 0123abcd expired at Nov 14, 2017 2:20:57 PM", "session 0123abcd expired at Nov 14, 2017 2:20:57 PM"},
		{"SYS.1006: vm-68 on vc1 (v1.2.3) failed", "SYS.1006: vm-68 on vc1 (v1.2.3) failed"},
		{"task 45b85d59c6738fef98dedf84d83bc2ac: not found", "task 45b85d59c6738fef98dedf84d83bc2ac: not found"},
		{"condition.names[1] must be 1 to 255 bytes long", "condition.names[1] must be 1 to 255 bytes long"},
		{"vmNics[0].ip is not a field", "vmNics[0].ip is not a field"},
	} {
		if diff := cmp.Diff(tc.want, PublicMessage(errors.New(tc.in))); diff != "" {
			t.Errorf("PublicMessage(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

package broker

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDatedIDs(t *testing.T) {
	at := time.UnixMilli(1_780_000_000_123)
	id := NewDatedID(at)
	tests := []struct {
		name   string
		id     string
		wantOK bool
		want   time.Time
	}{
		{"made here", id, true, at},
		{"a random uuid", "9c1b6bd0a1f64c9b8a3e2f0d5c7b1a29", false, time.Time{}},
		{"one character changed", id[:20] + flip(id[20]) + id[21:], false, time.Time{}},
		{"not an id", "inventory-watch-vc1", false, time.Time{}},
	}
	for _, tt := range tests {
		got, ok := DatedIDTime(tt.id)
		if diff := cmp.Diff(tt.wantOK, ok); diff != "" {
			t.Errorf("%s: ok (-want +got):\n%s", tt.name, diff)
		}
		if ok && !got.Equal(tt.want) {
			t.Errorf("%s: time = %s, want %s", tt.name, got, tt.want)
		}
	}
	if !IsUUID(id) || NewDatedID(at) == id {
		t.Errorf("dated ids must be 32 lowercase hex and unique: %s", id)
	}
}

func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

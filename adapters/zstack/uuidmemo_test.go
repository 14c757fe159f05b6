package zstack

import (
	"fmt"
	"testing"

	"cloudbroker/broker"
)

// A remembered uuid is the one DerivedUUID derives, through generation changes and for
// inputs longer than the lookup buffer.
func TestUUIDMemoDerivesAsBroker(t *testing.T) {
	m := &uuidMemo{cur: map[string]string{}}
	long := fmt.Sprintf("%0300d", 7)
	for round := range 3 {
		for i := range uuidMemoSize + 10 {
			parts := []string{"p", fmt.Sprint(i)}
			if i%1000 == 0 {
				parts = append(parts, long)
			}
			if got, want := m.derive("volume", parts), broker.DerivedUUID(append([]string{"volume"}, parts...)...); got != want {
				t.Fatalf("round %d, %v: got %s, want %s", round, parts, got, want)
			}
		}
		if len(m.cur) > uuidMemoSize || len(m.old) > uuidMemoSize {
			t.Fatalf("round %d: generations of %d and %d entries, bound %d", round, len(m.cur), len(m.old), uuidMemoSize)
		}
	}
}

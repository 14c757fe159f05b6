package model

import (
	"errors"
	"fmt"
	"testing"
)

func TestTaskErrorKeepsItsKind(t *testing.T) {
	for _, k := range kinds {
		err := fmt.Errorf("context: %w", k.err)
		te := NewTaskError(err)
		if te.Kind != k.name || !errors.Is(te, k.err) {
			t.Errorf("%s: kind %q, errors.Is %v", k.name, te.Kind, errors.Is(te, k.err))
		}
	}
	if NewTaskError(errors.New("plain")).Kind != "internal" {
		t.Error("an error wrapping no sentinel is not internal")
	}
}

// An error wrapping two sentinels gets the same kind every time (the map it once used did not).
func TestKindOfIsDeterministic(t *testing.T) {
	err := fmt.Errorf("%w and %w", ErrUnavailable, ErrNotFound)
	for range 50 {
		if k := KindOf(err); k != "not_found" {
			t.Fatalf("KindOf = %q, want not_found (first in the list)", k)
		}
	}
}

package zstack

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
)

// TestL3Order: the default L3 network goes first, the others keep their order; a default
// outside the list, a default alone and a malformed uuid are refused naming the parameter.
func TestL3Order(t *testing.T) {
	const a, b, c = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccccccccccccccc"
	tests := []struct {
		name     string
		uuids    []string
		def      string
		want     []string
		mentions string // the refusal's, when refused
	}{
		{"none", nil, "", []string{}, ""},
		{"no default", []string{b, a}, "", []string{b, a}, ""},
		{"default first already", []string{a, b, c}, a, []string{a, b, c}, ""},
		{"default moved first", []string{a, b, c}, c, []string{c, a, b}, ""},
		{"uppercase", []string{strings.ToUpper(a), b}, strings.ToUpper(b), []string{b, a}, ""},
		{"default not listed", []string{a}, b, nil, "is not one of params.l3NetworkUuids"},
		{"default alone", nil, a, nil, "without params.l3NetworkUuids"},
		{"not a uuid", []string{a, "l3-1"}, "", nil, `"l3-1" is not a uuid`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l3Order(tt.uuids, tt.def)
			if tt.mentions != "" {
				if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tt.mentions) {
					t.Errorf("l3Order = %v, %v; want model.ErrInvalid mentioning %q", got, err, tt.mentions)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("l3Order (-want +got):\n%s", diff)
			}
		})
	}
}

package zstack

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/tags"
)

// Tag conditions on a small list (ISO candidates) match each item's tags by its uuid, with
// ZStack's semantics: a negation holds when no tag meets the positive form.
func TestSelectItemsByTags(t *testing.T) {
	items := []imageInventory{{UUID: "a", Name: "a.iso"}, {UUID: "b", Name: "b.iso"}, {UUID: "c", Name: "c.iso"}}
	tags := tagTexts{tags.User: {"a": {"linux", "dvd"}, "b": {"windows"}}}
	tests := []struct {
		cond string
		want []string
	}{
		{"__userTag__=linux", []string{"a"}},
		{"__userTag__!=linux", []string{"b", "c"}},
		{"__userTag__?=windows,dvd", []string{"a", "b"}},
		{"__userTag__~=win%", []string{"b"}},
		{"__userTag__ is null", []string{"c"}},
		{"__userTag__ not null", []string{"a", "b"}},
		{"__systemTag__ is null", []string{"a", "b", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			q, err := parseQuery(url.Values{"q": {tc.cond}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := selectItems(items, q, "Image", tags, func(i *imageInventory) string { return i.UUID })
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, m := range got {
				ids = append(ids, m.UUID)
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("matches (-want +got):\n%s", diff)
			}
		})
	}
}

package zstack

import (
	"context"
	"maps"
	"slices"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
	"cloudbroker/broker/tags"
)

// Query conditions on tags, with ZStack's semantics: __userTag__ (and __systemTag__) with =,
// ?=, ~=, >, <... selects the resources having a user tag that meets it; !=, !?= and !~=
// select those NOT having a tag that meets the positive form (a resource with tags "a" and
// "b" does not meet __userTag__!=a); "is null" selects resources with no user tag, "not null"
// those with one. A condition is resolved to the set of resource uuids it selects, read from
// the tag store only when a query has a tag condition.

// tagFields are the query fields that name tags, with the tags' type.
var tagFields = map[string]tags.Type{
	"__systemTag__": tags.System,
	"__userTag__":   tags.User,
}

// tagTexts are the caller's tags a query's tag conditions match against: by type, the texts of
// each resource's tags by resource uuid.
type tagTexts map[tags.Type]map[string][]string

// queryTags reads the tags of one kind of resource the query's tag conditions need; nil (and
// no read) when it has none. A broker keeping no tags has none to match.
func (s *Server) queryTags(ctx context.Context, caller model.Caller, conds []cond, on tags.Resource) (tagTexts, error) {
	var out tagTexts
	for _, c := range conds {
		typ, ok := tagFields[c.Field]
		if !ok || s.o.Tags == nil {
			continue
		}
		if _, done := out[typ]; done {
			continue
		}
		texts, err := s.o.Tags.Texts(ctx, caller, typ, on)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = tagTexts{}
		}
		out[typ] = texts
	}
	return out, nil
}

// negatedTagOps maps each negative operator to its positive form.
var negatedTagOps = map[inventory.Op]inventory.Op{
	inventory.OpNe:      inventory.OpEq,
	inventory.OpNotIn:   inventory.OpIn,
	inventory.OpNotLike: inventory.OpLike,
	inventory.OpIsNull:  inventory.OpNotNull,
}

// tagCondition turns a tag condition into a condition on the resources' uuid (at idPath):
// in the set of resources whose tags meet the positive form, or not in it for a negative
// operator. always reports a condition every resource meets (a negation of an empty set).
func tagCondition(c cond, texts map[string][]string, idPath string) (ic inventory.Condition, always bool, err error) {
	negated := false
	if pos, ok := negatedTagOps[c.Op]; ok {
		c.Op, negated = pos, true
	}
	ids := slices.Sorted(maps.Keys(texts))
	lists := make([][]string, len(ids))
	for i, id := range ids {
		lists[i] = texts[id]
	}
	hits, err := inventory.Matching(inventory.Condition{Op: c.Op, Values: c.values()}, lists)
	if err != nil {
		return ic, false, err
	}
	set := make([]string, len(hits))
	for i, h := range hits {
		set[i] = ids[h]
	}
	if !negated {
		return inSet(idPath, set), false, nil
	}
	if len(set) == 0 {
		return ic, true, nil
	}
	return inventory.Condition{Field: idPath, Op: inventory.OpNotIn, Values: set}, false, nil
}

package zstack

import (
	"cmp"
	"reflect"
	"slices"
	"strings"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// Small lists the inventory does not hold (ISO candidates) are filtered and ordered here, on
// their rendered inventories, with the semantics the inventory applies to VMs (match.go).

// fieldPaths lists a struct's JSON paths, through lists and nested structs.
func fieldPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		ft := f.Type
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			out = append(out, fieldPaths(ft, prefix+name+".")...)
			continue
		}
		out = append(out, prefix+name)
	}
	slices.Sort(out)
	return out
}

// filterItems applies a query's conditions and order to a small rendered list, with the same
// semantics the inventory applies to VMs.
// tags holds the items' tag texts by type and item uuid when the query has tag conditions (nil
// otherwise, and for lists whose items carry no tags).
func filterItems(items []map[string]any, q listQuery, paths []string, resource string, tags tagTexts) ([]map[string]any, error) {
	known := func(f string) error {
		if !slices.Contains(paths, f) {
			return model.Errorf(model.ErrInvalid, "invalid query: unknown field %q of %s; its fields are %s", f, resource, strings.Join(paths, ", "))
		}
		return nil
	}
	ms := make([]matcher, len(q.Conds))
	for i, c := range q.Conds {
		if _, ok := tagFields[c.Field]; ok {
			// Matched against the item's tag texts (below), with the list semantics that give
			// ZStack's: != holds when no tag equals, "is null" when there is no tag. Items of
			// lists that carry no tags are untagged.
			ms[i] = compileMatch(c)
			continue
		}
		if err := known(c.Field); err != nil {
			return nil, err
		}
		ms[i] = compileMatch(c)
	}
	type row struct {
		m    map[string]any
		vals map[string][]string
	}
	var rows []row
	for _, m := range items {
		vals := map[string][]string{}
		inventory.Leaves(m, func(path, text string) { vals[path] = append(vals[path], text) })
		if id, ok := m["uuid"].(string); ok {
			for field, typ := range tagFields {
				vals[field] = tags[typ][id]
			}
		}
		ok := true
		for i, c := range q.Conds {
			if !ms[i](vals[c.Field]) {
				ok = false
				break
			}
		}
		if ok {
			rows = append(rows, row{m, vals})
		}
	}
	if q.Sort != nil {
		if err := known(q.Sort.Field); err != nil {
			return nil, err
		}
		slices.SortStableFunc(rows, func(a, b row) int {
			x, y := a.vals[q.Sort.Field], b.vals[q.Sort.Field]
			r := cmp.Compare(len(x), len(y)) // items without the field first
			if len(x) > 0 && len(y) > 0 {
				r = compareValues(x[0], y[0])
			}
			if q.Sort.Desc {
				r = -r
			}
			return r
		})
	}
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		out[i] = r.m
	}
	return out, nil
}

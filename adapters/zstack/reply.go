package zstack

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"cloudbroker/broker/model"
)

// What a query API answers: {"inventories":[...]} with "total" when replyWithCount is set, or
// {"total":N} alone for count=true. fields keeps only the named primitive fields of each
// inventory; groupBy keeps the first inventory (in the query's order) of each distinct value of
// a primitive field, as SQL's GROUP BY without aggregates does, and total counts the groups.

// primitiveFields lists the JSON names of a struct's fields that are neither lists nor
// objects: what fields= and groupBy= may name.
func primitiveFields(v any) []string {
	t := reflect.TypeOf(v)
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() { // not in the JSON (a join's key)
			continue
		}
		switch f.Type.Kind() {
		case reflect.Slice, reflect.Struct, reflect.Map, reflect.Pointer:
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

var (
	vmPrimitives    = primitiveFields(vmInventory{})
	imagePrimitives = primitiveFields(imageInventory{})
)

// checkFields refuses fields= and groupBy= names that are not primitive fields.
func checkFields(q listQuery, allowed []string, resource string) error {
	for _, f := range q.Fields {
		if !slices.Contains(allowed, f) {
			return model.Errorf(model.ErrInvalid, "invalid query parameter: fields: %q is not a primitive field of %s; these are %s", f, resource, strings.Join(allowed, ", "))
		}
	}
	if q.GroupBy != "" && !slices.Contains(allowed, q.GroupBy) {
		return model.Errorf(model.ErrInvalid, "invalid query parameter: groupBy: %q is not a primitive field of %s; these are %s", q.GroupBy, resource, strings.Join(allowed, ", "))
	}
	return nil
}

// asMap is an inventory as a JSON object, for projection and grouping.
func asMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// groupKey is an inventory's value of a field as text ("" when it has none).
func groupKey(m map[string]any, field string) string {
	v, ok := m[field]
	if !ok || v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// group keeps the first item of each distinct value of field, in order.
func group(items []map[string]any, field string) []map[string]any {
	seen := map[string]bool{}
	var out []map[string]any
	for _, m := range items {
		k := groupKey(m, field)
		if !seen[k] {
			seen[k] = true
			out = append(out, m)
		}
	}
	return out
}

// project keeps only the named fields of each item.
func project(items []any, fields []string) []any {
	if len(fields) == 0 {
		return items
	}
	out := make([]any, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			m = asMap(it)
		}
		p := make(map[string]any, len(fields))
		for _, f := range fields {
			if v, ok := m[f]; ok {
				p[f] = v
			}
		}
		out[i] = p
	}
	return out
}

// page is start/limit over a slice; huge values cannot overflow it.
func page[T any](s []T, start, limit int) []T {
	lo := min(start, len(s))
	return s[lo : lo+min(limit, len(s)-lo)]
}

// listBody builds the answer of a query API.
func listBody(q listQuery, items []any, total int) map[string]any {
	if q.Count {
		return map[string]any{"total": total}
	}
	body := map[string]any{"inventories": project(items, q.Fields)}
	if q.ReplyWithCount {
		body["total"] = total
	}
	return body
}

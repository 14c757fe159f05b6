package inventory

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A row is built by walking the resource's value with reflection, by the JSON names of its
// fields, without encoding it: every field a resource has is queryable by its JSON path
// ("name", "nics.ips", "disks.capacityBytes") with no hand-written accessor per field, at a
// fraction of a JSON round trip's cost. The walk follows encoding/json's rules where they decide
// whether a leaf exists: omitempty and omitzero leave zero values out (null to a query), "-"
// and unexported fields are skipped, embedded structs are flattened, a list contributes every
// element under its own path, a map its keys. Numbers are plain decimals, bools "true" and
// "false". A time.Time is its unix milliseconds (null when zero), so dates compare as numbers.

// leaf is one value of a row before it is interned: its path and text.
type leaf struct{ path, text string }

// structField is a field of a struct type the walk visits, with its full path under a prefix.
type structField struct {
	index     int
	path      string
	omitEmpty bool
	omitZero  bool
	embedded  bool
}

type planKey struct {
	t      reflect.Type
	prefix string
}

// plans caches each struct type's fields per path prefix, so a walk allocates no paths.
var plans sync.Map // planKey → []structField

func fieldsOf(t reflect.Type, prefix string) []structField {
	k := planKey{t, prefix}
	if p, ok := plans.Load(k); ok {
		return p.([]structField)
	}
	var out []structField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		embedded := f.Anonymous && name == "" && indirect(f.Type).Kind() == reflect.Struct
		if !f.IsExported() && !embedded {
			continue
		}
		if name == "" {
			name = f.Name
		}
		sf := structField{index: i, path: join(prefix, name), embedded: embedded}
		if embedded {
			sf.path = prefix
		}
		for _, o := range strings.Split(opts, ",") {
			sf.omitEmpty = sf.omitEmpty || o == "omitempty"
			sf.omitZero = sf.omitZero || o == "omitzero"
		}
		out = append(out, sf)
	}
	plans.Store(k, out)
	return out
}

func indirect(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

var timeType = reflect.TypeFor[time.Time]()

// walk emits every leaf of v under path.
func walk(path string, v reflect.Value, emit func(path, text string)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walk(path, v.Elem(), emit)
		}
	case reflect.String:
		emit(path, v.String())
	case reflect.Bool:
		emit(path, strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		emit(path, strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		emit(path, strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		emit(path, strconv.FormatFloat(v.Float(), 'f', -1, 64))
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walk(path, v.Index(i), emit)
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return
		}
		it := v.MapRange()
		for it.Next() {
			walk(join(path, it.Key().String()), it.Value(), emit)
		}
	case reflect.Struct:
		if v.Type() == timeType {
			if t := v.Interface().(time.Time); !t.IsZero() {
				emit(path, strconv.FormatInt(t.UnixMilli(), 10))
			}
			return
		}
		for _, f := range fieldsOf(v.Type(), path) {
			fv := v.Field(f.index)
			if (f.omitEmpty && isEmpty(fv)) || (f.omitZero && fv.IsZero()) {
				continue
			}
			walk(f.path, fv, emit)
		}
	}
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// Paths lists the leaf paths of a struct type's rows (through lists, pointers and nested
// structs), sorted: the fields a query on rows of that type may name.
func Paths(t reflect.Type) []string {
	seen := map[string]bool{}
	var visit func(t reflect.Type, prefix string)
	visit = func(t reflect.Type, prefix string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == timeType {
			seen[prefix] = true
			return
		}
		for _, f := range fieldsOf(t, prefix) {
			visit(t.Field(f.index).Type, f.path)
		}
	}
	visit(t, "")
	delete(seen, "")
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

package inventory

import (
	"encoding/json"
	"strconv"

	"cloudbroker/broker/model"
)

// value is one leaf of a flattened VM, with its number pre-parsed so comparisons over 100,000
// VMs do not parse strings on every query.
type value struct {
	s   string
	n   float64
	num bool
}

func newValue(s string) value {
	if !isDecimal(s) {
		return value{s: s}
	}
	n, err := strconv.ParseFloat(s, 64)
	return value{s: s, n: n, num: err == nil}
}

// isDecimal accepts plain decimal numbers only: ParseFloat alone would read ids such as
// "0e8" or "inf" as numbers and make the order of mixed values inconsistent.
func isDecimal(s string) bool {
	digits, dot := 0, false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '-' && i == 0:
		case r == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// fields is a VM flattened to path → values, the form conditions and sorts read: "name",
// "powerState", "nics.ips", "disks.capacityBytes". A path through a list holds one value per
// element, so "nics.ips=10.0.0.5" matches a VM with that address on any NIC.
type fields map[string][]value

// flatten walks the VM's JSON form, so every field the model has is queryable by its JSON name
// without a hand-written accessor per field.
func flatten(vm *model.VM) fields {
	b, _ := json.Marshal(vm)
	var v any
	json.Unmarshal(b, &v)
	out := fields{}
	Leaves(v, func(path, text string) { out[path] = append(out[path], newValue(text)) })
	// createdAt is RFC 3339 in JSON; make it comparable as unix milliseconds.
	if !vm.CreatedAt.IsZero() {
		out["createdAt"] = []value{newValue(strconv.FormatInt(vm.CreatedAt.UnixMilli(), 10))}
	}
	return out
}

// Leaves calls fn with the path and text of every leaf of a decoded JSON value (maps by key,
// dotted; a list contributes every element's under its own path; numbers as plain decimals):
// how the index sees a VM, and how a dialect filtering a small list sees its items.
func Leaves(v any, fn func(path, text string)) { leaves("", v, fn) }

func leaves(path string, v any, fn func(path, text string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			leaves(p, e, fn)
		}
	case []any:
		for _, e := range x {
			leaves(path, e, fn)
		}
	case string:
		fn(path, x)
	case bool:
		fn(path, strconv.FormatBool(x))
	case float64:
		fn(path, strconv.FormatFloat(x, 'f', -1, 64))
	}
}

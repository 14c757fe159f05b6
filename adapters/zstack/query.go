package zstack

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// The query language of every ZStack query API (the manual's 查询API): q conditions ANDed,
// limit (default 1000), start, count, replyWithCount, sort (+f / -f) or sortBy + sortDirection,
// fields, groupBy. This file parses it; fields.go maps ZStack's field names to the inventory.

// defaultLimit is ZStack's default page size.
const defaultLimit = 1000

// cond is one parsed condition in ZStack's terms: field name, operator, raw value.
type cond struct {
	Field string
	Op    inventory.Op
	// Value is the text after the operator, untrimmed (a space can matter); ?= and !?= split
	// it on commas.
	Value string
}

// values is the operand as the inventory takes it.
func (c cond) values() []string {
	switch c.Op {
	case inventory.OpIsNull, inventory.OpNotNull:
		return nil
	case inventory.OpIn, inventory.OpNotIn:
		return strings.Split(c.Value, ",")
	}
	return []string{c.Value}
}

// String writes the condition back as a client would.
func (c cond) String() string {
	if c.Op == inventory.OpIsNull || c.Op == inventory.OpNotNull {
		return c.Field + " " + string(c.Op)
	}
	return c.Field + string(c.Op) + c.Value
}

// valueOps are tried in this order: an operator that is the start of another ("=" of "!=")
// comes after it, so the longest one that fits wins.
var valueOps = []inventory.Op{
	inventory.OpNotIn, inventory.OpNotLike, inventory.OpNe, inventory.OpGe, inventory.OpLe,
	inventory.OpIn, inventory.OpLike, inventory.OpEq, inventory.OpGt, inventory.OpLt,
}

const opList = `= != > < >= <= ?= !?= ~= !~= "is null" "not null"`

func isFieldChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '.'
}

// parseCondition reads "field<op>value", "field is null" or "field not null". The field name
// is letters, digits, _ and . (nested paths such as vmNics.ip); the operator follows it with
// no space, as the manual requires. An error wraps model.ErrInvalid and names the bad part.
func parseCondition(s string) (cond, error) {
	i := 0
	for i < len(s) && isFieldChar(s[i]) {
		i++
	}
	field, rest := s[:i], s[i:]
	bad := func(format string, args ...any) (cond, error) {
		return cond{}, model.Errorf(model.ErrInvalid, "invalid query condition %q: %s", shorten(s), fmt.Sprintf(format, args...))
	}
	if field == "" {
		return bad("it must start with a field name (letters, digits, _ and .), as in name=vm1")
	}
	for _, seg := range strings.Split(field, ".") {
		if seg == "" {
			return bad("field %q has an empty path segment", field)
		}
	}
	switch rest {
	case " " + string(inventory.OpIsNull):
		return cond{Field: field, Op: inventory.OpIsNull}, nil
	case " " + string(inventory.OpNotNull):
		return cond{Field: field, Op: inventory.OpNotNull}, nil
	}
	for _, op := range valueOps {
		if strings.HasPrefix(rest, string(op)) {
			c := cond{Field: field, Op: op, Value: rest[len(op):]}
			if op == inventory.OpLike || op == inventory.OpNotLike {
				// Bounded here, before anything is read: a caller's pattern costs a bounded
				// amount to match (inventory.ParseLike).
				if _, err := inventory.ParseLike(c.Value); err != nil {
					return cond{}, fmt.Errorf("invalid query condition %q: %w", shorten(s), err)
				}
			}
			return c, nil
		}
	}
	trimmed := strings.TrimLeft(rest, " ")
	switch {
	case rest == "":
		return bad("no operator after field %q; operators are %s", field, opList)
	case trimmed != rest && startsWithOp(trimmed):
		return bad("no spaces are allowed between the field %q and the operator", field)
	case strings.TrimSpace(rest) == string(inventory.OpIsNull) || strings.TrimSpace(rest) == string(inventory.OpNotNull):
		return bad(`write "%s %s" with exactly one space`, field, strings.TrimSpace(rest))
	}
	return bad("%q after field %q is not an operator; operators are %s", shorten(rest), field, opList)
}

func startsWithOp(s string) bool {
	for _, op := range valueOps {
		if strings.HasPrefix(s, string(op)) {
			return true
		}
	}
	return false
}

// shorten keeps error messages readable when a client sends something long.
func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// sortKey is the order asked for, in ZStack's field names.
type sortKey struct {
	Field string
	Desc  bool
}

// listQuery is a parsed query string.
type listQuery struct {
	Conds          []cond
	Limit, Start   int
	Count          bool
	ReplyWithCount bool
	Sort           *sortKey
	Fields         []string
	GroupBy        string
}

// parseQuery reads a query API's parameters, decoded by parseParams. Parameters it does not
// know (systemTags, userTags, filterName ...) are ignored, as ZStack ignores them; every one
// it knows is checked, and a bad one is an error wrapping model.ErrInvalid that names it.
func parseQuery(v url.Values) (listQuery, error) {
	q := listQuery{Limit: defaultLimit}
	bad := func(format string, args ...any) (listQuery, error) {
		return listQuery{}, model.Errorf(model.ErrInvalid, "invalid query parameter: "+format, args...)
	}
	// "condition" is how one example of the manual spells q.
	for _, name := range []string{"q", "condition"} {
		for _, s := range v[name] {
			c, err := parseCondition(s)
			if err != nil {
				return listQuery{}, fmt.Errorf("query parameter '%s': %w", name, err)
			}
			q.Conds = append(q.Conds, c)
		}
	}
	one := map[string]string{}
	for _, name := range []string{"limit", "start", "count", "replyWithCount", "sort", "sortBy", "sortDirection", "groupBy"} {
		s, err := single(v, name)
		if err != nil {
			return listQuery{}, err
		}
		one[name] = s
	}
	intParam := func(name string, dst *int) error {
		s := one[name]
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return model.Errorf(model.ErrInvalid, "invalid query parameter: '%s' must be an integer, got %q", name, shorten(s))
		}
		if n < 0 {
			return model.Errorf(model.ErrInvalid, "invalid query parameter: '%s' must be >= 0, got %d", name, n)
		}
		*dst = n
		return nil
	}
	boolParam := func(name string, dst *bool) error {
		s := one[name]
		if s == "" {
			return nil
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			*dst = true
		case "false":
			*dst = false
		default:
			return model.Errorf(model.ErrInvalid, "invalid query parameter: '%s' must be true or false, got %q", name, shorten(s))
		}
		return nil
	}
	for _, err := range []error{
		intParam("limit", &q.Limit), intParam("start", &q.Start),
		boolParam("count", &q.Count), boolParam("replyWithCount", &q.ReplyWithCount),
	} {
		if err != nil {
			return listQuery{}, err
		}
	}
	if _, ok := v["sort"]; ok {
		if one["sortBy"] != "" {
			return bad("give either 'sort' or 'sortBy', not both")
		}
		k := sortKey{Field: strings.TrimSpace(one["sort"])}
		switch {
		case strings.HasPrefix(k.Field, "+"):
			k.Field = k.Field[1:]
		case strings.HasPrefix(k.Field, "-"):
			k.Field, k.Desc = k.Field[1:], true
		}
		if k.Field == "" {
			return bad("'sort' needs a field name after + or -, as in sort=-createDate")
		}
		q.Sort = &k
	}
	if by := strings.TrimSpace(one["sortBy"]); by != "" {
		k := sortKey{Field: by}
		switch strings.ToLower(strings.TrimSpace(one["sortDirection"])) {
		case "", "asc":
		case "desc":
			k.Desc = true
		default:
			return bad("'sortDirection' must be asc or desc, got %q", shorten(one["sortDirection"]))
		}
		q.Sort = &k
	} else if one["sortDirection"] != "" && q.Sort == nil {
		return bad("'sortDirection' goes with 'sortBy'")
	}
	if fs, ok := v["fields"]; ok {
		for _, s := range fs {
			for _, f := range strings.Split(s, ",") {
				if f = strings.TrimSpace(f); f != "" {
					q.Fields = append(q.Fields, f)
				}
			}
		}
		if len(q.Fields) == 0 {
			return bad("'fields' contains zero field")
		}
	}
	if _, ok := v["groupBy"]; ok {
		if q.GroupBy = strings.TrimSpace(one["groupBy"]); q.GroupBy == "" {
			return bad("'groupBy' needs a field name")
		}
	}
	return q, nil
}

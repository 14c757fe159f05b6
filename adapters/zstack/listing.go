package zstack

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// queryList answers a query API over a small list the broker holds whole (ISO candidates,
// management nodes, tags, notifications, GC jobs, long jobs): the query's conditions, order,
// paging, count, fields and groupBy apply to the rendered inventories with the semantics the
// inventory applies to VMs. resource names the inventory in errors ("SystemTag").
func queryList[T any](c *gin.Context, q listQuery, invs []T, resource string) {
	queryTaggedList(c, q, invs, resource, nil, nil)
}

// queryListed answers a query API over what list gives the caller, each item rendered as its
// inventory (queryList).
func queryListed[T, I any](c *gin.Context, resource string, list func(context.Context, model.Caller) ([]T, error), inventory func(T) I) {
	q, err := parseListQuery(c)
	if err != nil {
		fail(c, err)
		return
	}
	items, err := list(c.Request.Context(), callerOf(c))
	if err != nil {
		fail(c, err)
		return
	}
	invs := make([]I, 0, len(items))
	for _, it := range items {
		invs = append(invs, inventory(it))
	}
	queryList(c, q, invs, resource)
}

// queryTaggedList is queryList over resources that carry tags (images), whose texts tags holds
// by the uuid uuidOf reads, for the query's tag conditions (Server.queryTags).
func queryTaggedList[T any](c *gin.Context, q listQuery, invs []T, resource string, tags tagTexts, uuidOf func(*T) string) {
	body, err := listReply(q, invs, resource, tags, uuidOf)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, body)
}

// listReply is a query API's answer over a list of inventories: fields checked, conditions and
// order applied (selectItems), groups and paging, count.
func listReply[T any](q listQuery, invs []T, resource string, tags tagTexts, uuidOf func(*T) string) (map[string]any, error) {
	var zero T
	if err := checkFields(q, primitiveFields(zero), resource); err != nil {
		return nil, err
	}
	matched, err := selectItems(invs, q, resource, tags, uuidOf)
	if err != nil {
		return nil, err
	}
	items := make([]map[string]any, 0, len(matched))
	for _, inv := range matched {
		items = append(items, asMap(inv))
	}
	total := len(items)
	if q.GroupBy != "" {
		items = group(items, q.GroupBy)
		total = len(items)
	}
	out := []any{}
	for _, m := range page(items, q.Start, q.Limit) {
		out = append(out, m)
	}
	return listBody(q, out, total), nil
}

// selectItems applies a query's conditions and order to a small list, through a table of the
// inventory's engine built for it: the semantics the inventory applies to VMs. A field of the
// list's inventory type or a tag field (tags_query.go) may be named; another is refused.
// Items of lists that carry no tags (uuidOf nil) are untagged.
func selectItems[T any](invs []T, q listQuery, resource string, tags tagTexts, uuidOf func(*T) string) ([]T, error) {
	paths := inventory.Paths(reflect.TypeFor[T]())
	unknown := func(f string) error {
		return model.Errorf(model.ErrInvalid, "invalid query: unknown field %q of %s; its fields are %s", f, resource, strings.Join(paths, ", "))
	}
	sel := inventory.Selection{}
	for _, c := range q.Conds {
		if _, tag := tagFields[c.Field]; !tag && !slices.Contains(paths, c.Field) {
			return nil, unknown(c.Field)
		}
		sel.Conditions = append(sel.Conditions, inventory.Condition{Field: c.Field, Op: c.Op, Values: c.values()})
	}
	if q.Sort != nil {
		if !slices.Contains(paths, q.Sort.Field) { // tags included: they order nothing
			return nil, unknown(q.Sort.Field)
		}
		sel.Sort = []inventory.SortKey{{Field: q.Sort.Field, Desc: q.Sort.Desc}}
	}
	schema := inventory.Schema[T]{Derived: map[string]func(*T) []string{}}
	if uuidOf != nil {
		for field, typ := range tagFields {
			schema.Derived[field] = func(inv *T) []string { return tags[typ][uuidOf(inv)] }
		}
	}
	t := inventory.NewTable(schema)
	t.Reset(invs)
	_, out, err := t.Select(context.Background(), sel)
	return out, err
}

// parseListQuery parses a query API's parameters; GET .../{uuid} is a query on that uuid, as in
// ZStack (other parameters ignored, once they decode).
func parseListQuery(c *gin.Context) (listQuery, error) {
	v, err := requestParams(c)
	if err != nil {
		return listQuery{}, err
	}
	// A catch-all's value ("/zones/*uuid") keeps its slashes: GET /zones//{uuid} names {uuid}.
	if id := strings.Trim(c.Param("uuid"), "/"); id != "" {
		return listQuery{Conds: []cond{{Field: "uuid", Op: inventory.OpEq, Value: id}}, Limit: defaultLimit}, nil
	}
	return parseQuery(v)
}

// parseRequestQuery parses the query API's parameters of a request whose path {uuid} names
// something else (a VM's ISO candidates).
func parseRequestQuery(c *gin.Context) (listQuery, error) {
	v, err := requestParams(c)
	if err != nil {
		return listQuery{}, err
	}
	return parseQuery(v)
}

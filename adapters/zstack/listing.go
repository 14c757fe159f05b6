package zstack

import (
	"context"
	"net/http"
	"reflect"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// queryList answers a query API over a small list the broker holds whole (ISO candidates,
// management nodes, tags, notifications, GC jobs, long jobs): the query's conditions, order,
// paging, count, fields and groupBy apply to the rendered inventories with the semantics the
// inventory applies to VMs. resource names the inventory in errors ("SystemTag").
func queryList[T any](c *gin.Context, q listQuery, invs []T, resource string) {
	queryTaggedList(c, q, invs, resource, nil)
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
// for the query's tag conditions (Server.queryTags).
func queryTaggedList[T any](c *gin.Context, q listQuery, invs []T, resource string, tags tagTexts) {
	var zero T
	if err := checkFields(q, primitiveFields(zero), resource); err != nil {
		fail(c, err)
		return
	}
	items := make([]map[string]any, 0, len(invs))
	for _, inv := range invs {
		items = append(items, asMap(inv))
	}
	items, err := filterItems(items, q, fieldPaths(reflect.TypeOf(zero), ""), resource, tags)
	if err != nil {
		fail(c, err)
		return
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
	c.JSON(http.StatusOK, listBody(q, out, total))
}

// parseListQuery parses a query API's parameters; GET .../{uuid} is a query on that uuid, as in
// ZStack (other parameters ignored, once they decode).
func parseListQuery(c *gin.Context) (listQuery, error) {
	v, err := requestParams(c)
	if err != nil {
		return listQuery{}, err
	}
	if id := c.Param("uuid"); id != "" {
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

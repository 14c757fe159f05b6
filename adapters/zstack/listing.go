package zstack

import (
	"net/http"
	"reflect"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker/inventory"
)

// queryList answers a query API over a small list the broker holds whole (ISO candidates,
// management nodes, tags, notifications, GC jobs, long jobs): the query's conditions, order,
// paging, count, fields and groupBy apply to the rendered inventories with the semantics the
// inventory applies to VMs. resource names the inventory in errors ("SystemTag").
func queryList[T any](c *gin.Context, q listQuery, invs []T, resource string) {
	queryTaggedList(c, q, invs, resource, nil)
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
// ZStack (other parameters ignored).
func parseListQuery(c *gin.Context) (listQuery, error) {
	if id := c.Param("uuid"); id != "" {
		return listQuery{Conds: []cond{{Field: "uuid", Op: inventory.OpEq, Value: id}}, Limit: defaultLimit}, nil
	}
	return parseQuery(c.Request.URL.Query())
}

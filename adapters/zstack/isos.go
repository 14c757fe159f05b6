package zstack

import (
	"net/http"
	"reflect"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker"
)

// isoCandidates is GET /zstack/v1/vm-instances/{uuid}/iso-candidates
// (GetCandidateIsoForAttachingVm): a sync API, so the listing task is waited for (up to
// tasks.sync_timeout). The query language applies to the list, on ImageInventory's fields.
func (s *Server) isoCandidates(c *gin.Context) {
	q, err := parseQuery(c.Request.URL.Query())
	if err == nil {
		err = checkFields(q, imagePrimitives, "Image")
	}
	if err != nil {
		fail(c, err)
		return
	}
	ctx, caller := c.Request.Context(), callerOf(c)
	t, err := s.b.SubmitISOs(ctx, caller, c.Param("uuid"))
	if err == nil {
		t, err = s.b.Wait(ctx, caller, t.ID)
	}
	if err == nil && t.State == broker.TaskFailed {
		err = t.Err
	}
	var res broker.ISOListResult
	if err == nil {
		res, err = t.ISOResult()
	}
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]map[string]any, 0, len(res.Images))
	for _, img := range res.Images {
		items = append(items, asMap(s.r.image(img)))
	}
	items, err = filterItems(items, q, imagePaths, "Image")
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

// imagePaths are the fields of ImageInventory conditions may name, nested ones included
// (backupStorageRefs.installPath).
var imagePaths = fieldPaths(reflect.TypeOf(imageInventory{}), "")

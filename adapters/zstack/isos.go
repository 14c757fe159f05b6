package zstack

import (
	"github.com/gin-gonic/gin"

	"cloudbroker/broker"
	"cloudbroker/broker/tags"
)

// isoCandidates is GET /zstack/v1/vm-instances/{uuid}/iso-candidates
// (GetCandidateIsoForAttachingVm): a sync API, so the listing task is waited for (up to
// tasks.sync_timeout). The query language applies to the list, on ImageInventory's fields.
func (s *Server) isoCandidates(c *gin.Context) {
	q, err := parseRequestQuery(c)
	if err == nil {
		err = checkFields(q, imagePrimitives, "Image") // before the listing task, not after
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
	invs := make([]imageInventory, 0, len(res.Images))
	for _, img := range res.Images {
		invs = append(invs, s.r.image(img))
	}
	tags, err := s.queryTags(ctx, caller, q.Conds, tags.OnImage) // no read without a tag condition
	if err != nil {
		fail(c, err)
		return
	}
	queryTaggedList(c, q, invs, "Image", tags, func(i *imageInventory) string { return i.UUID })
}

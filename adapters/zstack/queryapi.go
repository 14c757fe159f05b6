package zstack

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/broker/tags"
)

// The infrastructure query APIs (QueryZone, QueryCluster, QueryHost, QueryL3Network,
// QueryImage, QueryVolume, QueryPrimaryStorage) share one shape: what the caller's providers
// have of the resource, rendered as its inventory, then the whole query language through the
// one engine (listReply: conditions on every field, sort, start/limit, count, replyWithCount,
// fields, groupBy). GET .../{uuid} is a query on that uuid; a uuid of another tenant's provider
// is missing from what the caller's providers have, so it answers an empty list exactly as an
// unknown one does.

// listed is a resource's inventories across the caller's providers, and the providers that
// could not be listed.
type listed[I any] struct {
	items  []I
	failed []broker.ProviderError
}

// queryAPI is one query API over rendered inventories.
type queryAPI[I any] struct {
	// resource names the inventory in errors ("Host").
	resource string
	list     func(ctx context.Context, caller model.Caller) (listed[I], error)
	// tagsOn and uuidOf are set for resources that carry tags (hosts, images): the query's
	// tag conditions match their tags.
	tagsOn tags.Resource
	uuidOf func(*I) string
}

// serveQuery is the handler of a query API (GET /resource and GET /resource/{uuid}).
func serveQuery[I any](s *Server, api queryAPI[I]) gin.HandlerFunc {
	return func(c *gin.Context) {
		q, err := parseListQuery(c)
		if err == nil { // a malformed query costs no listing
			_, err = listReply(q, []I(nil), api.resource, nil, nil)
		}
		if err != nil {
			fail(c, err)
			return
		}
		ctx, caller := c.Request.Context(), callerOf(c)
		l, err := api.list(ctx, caller)
		if err == nil && len(l.items) == 0 && len(l.failed) > 0 {
			// Nothing to show and a provider could not be listed: say so, not an empty success.
			err = fmt.Errorf("provider %q could not be listed: %w", l.failed[0].Provider, l.failed[0].Err)
		}
		var tt tagTexts
		if err == nil && api.uuidOf != nil {
			tt, err = s.queryTags(ctx, caller, q.Conds, api.tagsOn) // no read without a tag condition
		}
		var body map[string]any
		if err == nil {
			body, err = listReply(q, l.items, api.resource, tt, api.uuidOf)
		}
		if err != nil {
			fail(c, err)
			return
		}
		addFailed(body, l.failed)
		writeJSON(c, http.StatusOK, body)
	}
}

// addFailed adds failedProviders to a query's answer when a provider could not be searched or
// listed: ZStack has no place for a partial answer, and a client reading only inventories and
// total is not disturbed by one more key.
func addFailed(body map[string]any, failed []broker.ProviderError) {
	if len(failed) == 0 {
		return
	}
	out := make([]providerFailure, 0, len(failed))
	for _, f := range failed {
		out = append(out, providerFailure{Provider: f.Provider, Error: toErrorCode(f.Err)})
	}
	body["failedProviders"] = out
}

// query registers a query API: GET path and GET path/{uuid}.
func query(g gin.IRoutes, path string, h gin.HandlerFunc) {
	g.GET(path, h)
	g.GET(path+"/:uuid", h)
}

package zstack

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker"
	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
	"cloudbroker/broker/tags"
)

// notTemplate keeps vCenter templates out of QueryVmInstance: ZStack lists them as images.
var notTemplate = inventory.Condition{Field: "template", Op: inventory.OpNe, Values: []string{"true"}}

// queryVMs is GET /zstack/v1/vm-instances (QueryVmInstance) and GET .../{uuid}: as ZStack, a
// query on that uuid (other query parameters are ignored), answered {"inventories":[...]},
// empty for a VM the caller cannot see.
func (s *Server) queryVMs(c *gin.Context) {
	q, err := parseListQuery(c)
	if err != nil {
		fail(c, err)
		return
	}
	s.listVMs(c, q)
}

// VMQuery reads QueryVmInstance's query language (q=, sort=/sortBy=, start=, limit=) into the
// inventory query it runs for caller, so another view of the VMs (the console) searches
// exactly as QueryVmInstance does. An error wraps model.ErrInvalid and names the bad part.
func (s *Server) VMQuery(ctx context.Context, caller model.Caller, v url.Values) (inventory.Query, error) {
	q, err := parseQuery(v)
	if err != nil {
		return inventory.Query{}, err
	}
	iq, err := s.vmQuery(ctx, caller, q)
	iq.Start, iq.Limit = q.Start, q.Limit
	return iq, err
}

// vmQuery translates a query's conditions and order (ZStack's field names, tag conditions)
// into the inventory's, templates left out; paging is the caller's.
func (s *Server) vmQuery(ctx context.Context, caller model.Caller, q listQuery) (inventory.Query, error) {
	if err := checkFields(q, vmPrimitives, "VmInstance"); err != nil {
		return inventory.Query{}, err
	}
	tags, err := s.queryTags(ctx, caller, q.Conds, tags.OnVM) // no read without a tag condition
	if err != nil {
		return inventory.Query{}, err
	}
	tr := translator{providers: s.b.Providers().Visible(caller), loc: s.o.Location, tags: tags}
	conds, err := tr.conditions(q.Conds)
	if err != nil {
		return inventory.Query{}, err
	}
	order, err := tr.sort(q.Sort)
	if err != nil {
		return inventory.Query{}, err
	}
	joins, err := s.queryJoins(ctx, caller, tr, q.Conds) // cluster.name=..., host.managementIp=... (joins.go)
	if err != nil {
		return inventory.Query{}, err
	}
	return inventory.Query{Conditions: append(conds, notTemplate), Sort: order, Joins: joins}, nil
}

func (s *Server) listVMs(c *gin.Context, q listQuery) {
	caller := callerOf(c)
	iq, err := s.vmQuery(c.Request.Context(), caller, q)
	if err != nil {
		fail(c, err)
		return
	}
	switch {
	case q.GroupBy != "": // every match: the groups are paged, not the VMs
	case q.Count || q.Limit == 0:
		iq.Limit, iq.CountOnly = 1, true // the total is all that is needed
	default:
		iq.Start, iq.Limit = q.Start, q.Limit
	}
	res, err := s.b.QueryVMs(c.Request.Context(), caller, iq)
	if err != nil {
		fail(c, err)
		return
	}
	if res.Total == 0 && len(res.Failed) > 0 {
		// Nothing to show and a provider could not be searched: say so, not an empty success.
		f := res.Failed[0]
		fail(c, fmt.Errorf("provider %q could not be searched: %w", f.Provider, f.Err))
		return
	}
	items, total := []any{}, res.Total
	switch {
	case q.GroupBy != "":
		all := make([]map[string]any, len(res.VMs))
		for i, vm := range res.VMs {
			all[i] = asMap(s.r.vm(vm))
		}
		groups := group(all, q.GroupBy)
		total = len(groups)
		for _, m := range page(groups, q.Start, q.Limit) {
			items = append(items, m)
		}
	case !q.Count && q.Limit > 0:
		invs := make([]vmInventory, len(res.VMs)) // one allocation, not one per boxed inventory
		items = make([]any, len(res.VMs))
		for i, vm := range res.VMs {
			invs[i] = s.r.vm(vm)
			items[i] = &invs[i]
		}
	}
	body := listBody(q, items, total)
	s.reportProviders(body, res)
	writeJSON(c, http.StatusOK, body)
}

// providerFailure names a provider that could not be searched; the answer holds the others'
// VMs. staleProvider names one whose VMs come from an inventory whose last sync failed.
type providerFailure struct {
	Provider string    `json:"provider"`
	Error    errorCode `json:"error"`
}

type staleProvider struct {
	Provider  string `json:"provider"`
	State     string `json:"state"`
	LastSync  string `json:"lastSync,omitempty"`
	LastError string `json:"lastError,omitempty"`
}

// reportProviders adds failedProviders and staleProviders to a query's answer when there are
// any: ZStack has no place for a partial answer, and a client reading only inventories and
// total is not disturbed by two more keys.
func (s *Server) reportProviders(body map[string]any, res broker.VMQueryResult) {
	addFailed(body, res.Failed)
	if len(res.Stale) > 0 {
		out := make([]staleProvider, 0, len(res.Stale))
		for _, st := range res.Stale {
			out = append(out, staleProvider{Provider: st.Provider, State: st.State, LastSync: s.r.date(st.LastSync), LastError: adapters.PublicText(st.LastError)})
		}
		body["staleProviders"] = out
	}
}

package vcproxy

import (
	"context"
	"net/http"

	"cloudbroker/adapters"
	"cloudbroker/broker"
	"cloudbroker/broker/model"

	"github.com/gin-gonic/gin"
)

type providerItem struct {
	Name      string   `json:"name"`
	Driver    string   `json:"driver"`
	Clientid  string   `json:"clientid"`
	Region    string   `json:"region"`
	Zones     []string `json:"zones"`
	SyncState string   `json:"sync_state"` // pending, loading, synced, error, none; "live" without an inventory
	Stale     bool     `json:"stale"`
	LastSync  int64    `json:"last_sync"`
	LastError string   `json:"last_error"`
	VMs       int      `json:"vms"`
	FullLoads int      `json:"full_loads"`
}

// providerList is POST /api/provider/list: the providers the caller sees and how fresh each
// one's inventory is.
func (s *Server) providerList(c *gin.Context) {
	listAPI(s, c, "providers", s.Broker.ProviderStatuses, func(p broker.ProviderStatus) providerItem {
		it := providerItem{Name: p.Name, Driver: p.Driver, Clientid: p.ClientID, Region: p.Region, Zones: p.Zones, Stale: true, SyncState: "live"}
		if it.Zones == nil {
			it.Zones = []string{}
		}
		if st := p.Sync; st != nil {
			it.SyncState, it.Stale, it.LastError, it.VMs, it.FullLoads = st.State, st.Stale(), adapters.PublicText(st.LastError), st.VMs, st.FullLoads
			if !st.LastSync.IsZero() {
				it.LastSync = st.LastSync.Unix()
			}
		}
		return it
	})
}

// listAPI answers a listing API that takes an empty body: what list gives the caller, each
// made an item, as {"total": n, key: items}.
func listAPI[T, I any](s *Server, c *gin.Context, key string, list func(context.Context, model.Caller) ([]T, error), item func(T) I) {
	var req struct{}
	if !s.bind(c, &req) {
		return
	}
	all, err := list(c.Request.Context(), callerOf(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	items := make([]I, 0, len(all))
	for _, t := range all {
		items = append(items, item(t))
	}
	c.JSON(http.StatusOK, ok(gin.H{"total": len(items), key: items}))
}

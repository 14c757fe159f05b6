package vcproxy

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

type agentItem struct {
	Clientid  string   `json:"clientid"`
	State     string   `json:"state"` // online, offline, stopped
	Version   string   `json:"version"`
	Hostname  string   `json:"hostname"`
	PID       int      `json:"pid"`
	Providers []string `json:"providers"`
	StartedAt int64    `json:"started_at"` // unix seconds, as the envelope's times
	LastSeen  int64    `json:"last_seen"`
}

// agentList is POST /api/agent/list: the proxy agents serving what the caller sees.
func (s *Server) agentList(c *gin.Context) {
	var req struct{}
	if !s.bind(c, &req) {
		return
	}
	agents, err := s.Broker.Agents(c.Request.Context(), callerOf(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	items := make([]agentItem, 0, len(agents))
	for _, a := range agents {
		it := agentItem{Clientid: a.ClientID, State: s.Broker.AgentState(a), Version: a.Version, Hostname: a.Hostname,
			PID: a.PID, Providers: []string{}, StartedAt: a.StartedAt.Unix(), LastSeen: a.LastSeen.Unix()}
		for _, p := range a.Providers {
			it.Providers = append(it.Providers, p.Name)
		}
		items = append(items, it)
	}
	c.JSON(http.StatusOK, ok(gin.H{"total": len(items), "agents": items}))
}

package vcproxy

import (
	"github.com/gin-gonic/gin"

	"cloudbroker/broker"
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
	listAPI(s, c, "agents", s.Broker.Agents, func(a broker.Agent) agentItem {
		it := agentItem{Clientid: a.ClientID, State: s.Broker.AgentState(a), Version: a.Version, Hostname: a.Hostname,
			PID: a.PID, Providers: []string{}, StartedAt: a.StartedAt.Unix(), LastSeen: a.LastSeen.Unix()}
		for _, p := range a.Providers {
			it.Providers = append(it.Providers, p.Name)
		}
		return it
	})
}

package notify

import (
	"context"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// NoticeOfflineAgents records an AgentOffline notification for each agent whose heartbeat is
// older than the offline threshold (a graceful stop is not an outage). It is keyed by the
// agent process (instance), so every replica may call it on every beat: one process going
// offline is recorded once; a restarted agent that goes offline again is a new event.
func (s *Service) NoticeOfflineAgents(ctx context.Context, agents []broker.Agent) {
	if s == nil || s.store == nil {
		return
	}
	for _, a := range agents {
		if s.core.AgentState(a) != broker.AgentOffline {
			continue
		}
		providers := make([]string, 0, len(a.Providers))
		for _, p := range a.Providers {
			providers = append(providers, p.Name)
		}
		broker.Notify(ctx, s.store, s.log, model.Notification{
			Name: model.NoticeAgentOffline, Type: model.NoticeWarning, Sender: "broker",
			Content:      "agent[clientid:%s] is offline: no heartbeat since %s",
			Arguments:    []string{a.ClientID, a.LastSeen.UTC().Format(time.RFC3339)},
			ResourceUUID: a.ClientID, ResourceType: model.ResourceAgent, Providers: providers,
		}, "agent-offline:"+a.ClientID+":"+a.Instance)
	}
}

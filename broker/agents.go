package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"cloudbroker/broker/model"
)

// Agent is a proxy agent: a worker process near a site, named by its clientid, consuming only
// its own queue. Agents announce themselves (and their providers) by heartbeat.
type Agent struct {
	ClientID string `json:"clientid"`
	// Instance is random per process start, so a restart is visible.
	Instance  string           `json:"instance"`
	Version   string           `json:"version"`
	Hostname  string           `json:"hostname"`
	PID       int              `json:"pid"`
	Providers []model.Provider `json:"providers"`
	StartedAt time.Time        `json:"startedAt"`
	LastSeen  time.Time        `json:"lastSeen"`
	// Stopped is set by a graceful stop, so "stopped" and "crashed" read differently.
	Stopped bool `json:"stopped"`
}

// Agent states.
const (
	AgentOnline  = "online"
	AgentOffline = "offline" // heartbeats stopped without a goodbye: crashed or cut off
	AgentStopped = "stopped" // stopped gracefully
)

// State says whether the agent is online at now, given how stale a heartbeat may be.
func (a Agent) State(now time.Time, offlineAfter time.Duration) string {
	switch {
	case a.Stopped:
		return AgentStopped
	case now.Sub(a.LastSeen) > offlineAfter:
		return AgentOffline
	}
	return AgentOnline
}

// AgentRegistry reads agents' heartbeats; the queue package keeps them in Redis.
type AgentRegistry interface {
	// Agent returns an error wrapping model.ErrNotFound for a clientid never seen.
	Agent(ctx context.Context, clientid string) (Agent, error)
	Agents(ctx context.Context) ([]Agent, error)
}

// Agents lists the agents that serve at least one provider the caller sees (all for callers
// that see every provider), sorted by clientid. An agent shared by several tenants lists only
// the providers the caller sees: the others are not its to know.
func (b *Broker) Agents(ctx context.Context, c model.Caller) ([]Agent, error) {
	all, err := b.agents.Agents(ctx)
	if err != nil {
		return nil, err
	}
	var out []Agent
	for _, a := range all {
		a.Providers = slices.DeleteFunc(slices.Clone(a.Providers), func(p model.Provider) bool { return !c.Sees(p.Name) })
		if len(a.Providers) > 0 || c.AllProviders {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y Agent) int { return strings.Compare(x.ClientID, y.ClientID) })
	return out, nil
}

// AgentState is Agent.State with the broker's offline threshold. An agent is not judged
// offline until the store carrying its heartbeats (Redis) has been reachable from here for
// that long: while Redis stalls no agent can beat, and the gap is Redis's, not the agent's.
func (b *Broker) AgentState(a Agent) string {
	now := time.Now()
	st := a.State(now, b.agentOfflineAfter)
	if st == AgentOffline && b.reachableSince != nil {
		if since := b.reachableSince(); since.IsZero() || now.Sub(since) <= b.agentOfflineAfter {
			return AgentOnline
		}
	}
	return st
}

// checkAgent fails fast when the agent that would run a task is not online: a sync request then
// gets a clear answer at once instead of waiting for its timeout.
func (b *Broker) checkAgent(ctx context.Context, clientid string) error {
	if clientid == "" || b.agents == nil {
		return nil
	}
	a, err := b.agents.Agent(ctx, clientid)
	if errors.Is(err, model.ErrNotFound) {
		return fmt.Errorf("agent %q has never connected: start `agent --clientid %s`: %w", clientid, clientid, model.ErrUnavailable)
	}
	if err != nil {
		return err
	}
	switch b.AgentState(a) {
	case AgentOffline:
		return fmt.Errorf("agent %q offline since %s (no heartbeat for %s): %w", clientid,
			a.LastSeen.UTC().Format(time.RFC3339), time.Since(a.LastSeen).Round(time.Second), model.ErrUnavailable)
	case AgentStopped:
		return fmt.Errorf("agent %q offline since %s (stopped): %w", clientid, a.LastSeen.UTC().Format(time.RFC3339), model.ErrUnavailable)
	}
	return nil
}

package broker

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A heartbeat gap is the agent's only while Redis, which carries the heartbeats, was reachable.
func TestAgentStateIgnoresRedisStalls(t *testing.T) {
	now := time.Now()
	silent := Agent{ClientID: "a", LastSeen: now.Add(-10 * time.Second)}
	tests := []struct {
		name      string
		agent     Agent
		reachable func() time.Time
		want      string
	}{
		{"no view of Redis", silent, nil, AgentOffline},
		{"Redis fine for long", silent, func() time.Time { return now.Add(-time.Minute) }, AgentOffline},
		{"Redis back 2s ago", silent, func() time.Time { return now.Add(-2 * time.Second) }, AgentOnline},
		{"Redis unreachable now", silent, func() time.Time { return time.Time{} }, AgentOnline},
		{"stopped", Agent{ClientID: "a", LastSeen: silent.LastSeen, Stopped: true}, func() time.Time { return time.Time{} }, AgentStopped},
		{"beating", Agent{ClientID: "a", LastSeen: now}, nil, AgentOnline},
	}
	for _, tt := range tests {
		b := New(Options{AgentOfflineAfter: 5 * time.Second, StoreReachableSince: tt.reachable})
		if diff := cmp.Diff(tt.want, b.AgentState(tt.agent)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

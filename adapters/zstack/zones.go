package zstack

import (
	"context"

	"cloudbroker/broker/model"
)

// QueryZone and QueryCluster: a provider is a ZStack cluster, its region (else the provider
// itself) the zone (inventory.go). Both are functions of the caller's providers: no listing.

// zoneInventory is ZStack's ZoneInventory. createDate and lastOpDate are left out: a zone is a
// name in the configuration, with no dates.
type zoneInventory struct {
	UUID  string `json:"uuid"`
	Name  string `json:"name"`
	State string `json:"state"`
	Type  string `json:"type"`
	// provider is the provider the row stands for in QueryVmInstance's zone.* join.
	provider string
}

// clusterInventory is ZStack's ClusterInventory; dates and architecture are left out (a
// provider has none of its own).
type clusterInventory struct {
	UUID           string `json:"uuid"`
	Name           string `json:"name"`
	State          string `json:"state"`
	Type           string `json:"type"`
	HypervisorType string `json:"hypervisorType"`
	ZoneUUID       string `json:"zoneUuid"`
	provider       string
}

func zoneOf(p model.Provider) zoneInventory {
	name := p.Region
	if name == "" {
		name = p.Name
	}
	return zoneInventory{UUID: zoneUUIDOf(p), Name: name, State: "Enabled", Type: "zstack", provider: p.Name}
}

func clusterOf(p model.Provider) clusterInventory {
	return clusterInventory{UUID: clusterUUIDOf(p), Name: p.Name, State: "Enabled", Type: "zstack",
		HypervisorType: hypervisorOf(p), ZoneUUID: zoneUUIDOf(p), provider: p.Name}
}

// zones are the zones of the caller's providers, each once.
func (s *Server) zones(_ context.Context, caller model.Caller) (listed[zoneInventory], error) {
	var out listed[zoneInventory]
	seen := map[string]bool{}
	for _, p := range s.b.Providers().Visible(caller) {
		if z := zoneOf(p); !seen[z.UUID] {
			seen[z.UUID] = true
			out.items = append(out.items, z)
		}
	}
	return out, nil
}

func (s *Server) clusters(_ context.Context, caller model.Caller) (listed[clusterInventory], error) {
	return listed[clusterInventory]{items: eachProvider(s.b.Providers().Visible(caller), clusterOf)}, nil
}

// eachProvider renders each provider.
func eachProvider[I any](ps []model.Provider, of func(model.Provider) I) []I {
	out := make([]I, 0, len(ps))
	for _, p := range ps {
		out = append(out, of(p))
	}
	return out
}

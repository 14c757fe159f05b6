package zstack

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// capacityReply is GetCpuMemoryCapacity's answer: CPUs counted in cores, memory in bytes.
type capacityReply struct {
	TotalCPU        int64 `json:"totalCpu"`
	AvailableCPU    int64 `json:"availableCpu"`
	TotalMemory     int64 `json:"totalMemory"`
	AvailableMemory int64 `json:"availableMemory"`
	// FailedProviders names providers whose hosts could not be listed, so a sum that misses
	// them is never mistaken for the whole (as failedProviders in query answers).
	FailedProviders []providerFailure `json:"failedProviders,omitempty"`
}

// capacityScope is what GetCpuMemoryCapacity sums over.
type capacityScope struct {
	all                    bool
	zones, clusters, hosts []string
}

// parseCapacityScope reads zoneUuids, clusterUuids, hostUuids (repeated, or comma-separated)
// and all, from parameters decoded by parseParams. Without all=true one of the lists is
// required, as the manual says. A uuid that is not one (32 hexadecimal digits) is refused,
// naming its parameter.
func parseCapacityScope(q map[string][]string) (capacityScope, error) {
	var sc capacityScope
	list := func(name string, dst *[]string) error {
		for _, v := range q[name] {
			for _, id := range strings.Split(v, ",") {
				if id = strings.ToLower(strings.TrimSpace(id)); id != "" {
					if !broker.IsUUID(id) {
						return model.Errorf(model.ErrInvalid, "invalid query parameter: %s: %q is not a uuid (32 hexadecimal digits)", name, shorten(id))
					}
					*dst = append(*dst, id)
				}
			}
		}
		return nil
	}
	for _, err := range []error{list("zoneUuids", &sc.zones), list("clusterUuids", &sc.clusters), list("hostUuids", &sc.hosts)} {
		if err != nil {
			return sc, err
		}
	}
	all, err := single(q, "all")
	if err != nil {
		return sc, err
	}
	if all != "" {
		b, err := strconv.ParseBool(all)
		if err != nil {
			return sc, model.Errorf(model.ErrInvalid, "invalid query parameter: all must be true or false, got %q", shorten(all))
		}
		sc.all = b
	}
	if !sc.all && len(sc.zones)+len(sc.clusters)+len(sc.hosts) == 0 {
		return sc, model.Errorf(model.ErrInvalid, "invalid query: give zoneUuids, clusterUuids or hostUuids, or all=true")
	}
	return sc, nil
}

// cpuMemoryCapacity is GET /zstack/v1/hosts/capacities/cpu-memory (GetCpuMemoryCapacity): the
// summed capacity of the connected hosts in the zones, clusters and hosts asked for (their
// union), or of every host the caller sees with all=true. Available is total minus what the
// powered-on VMs on each host are given, never below zero. A uuid the caller sees no zone,
// cluster or host for is refused, naming it, rather than summed as zero.
func (s *Server) cpuMemoryCapacity(c *gin.Context) {
	v, err := requestParams(c)
	if err != nil {
		fail(c, err)
		return
	}
	sc, err := parseCapacityScope(v)
	if err != nil {
		fail(c, err)
		return
	}
	caller := callerOf(c)
	visible := s.b.Providers().Visible(caller)
	var providers []string
	for _, p := range visible {
		if sc.all || len(sc.hosts) > 0 || slices.Contains(sc.zones, zoneUUIDOf(p)) || slices.Contains(sc.clusters, clusterUUIDOf(p)) {
			providers = append(providers, p.Name)
		}
	}
	if err := unknownScope(sc, visible); err != nil {
		fail(c, err)
		return
	}
	res, err := s.b.Hosts(c.Request.Context(), caller, providers)
	if err != nil {
		fail(c, err)
		return
	}
	if len(res.Hosts) == 0 && len(res.Failed) > 0 {
		f := res.Failed[0]
		fail(c, fmt.Errorf("provider %q could not be listed: %w", f.Provider, f.Err))
		return
	}
	var out capacityReply
	seenHosts := map[string]bool{}
	for _, h := range res.Hosts {
		p, _ := s.b.Providers().Get(h.Provider)
		id := broker.HostUUID(h.Provider, h.NativeID)
		seenHosts[id] = true
		in := sc.all || slices.Contains(sc.hosts, id) || slices.Contains(sc.zones, zoneUUIDOf(p)) || slices.Contains(sc.clusters, clusterUUIDOf(p))
		if !in || hostStatusOf(h.Host) != "Connected" { // as ZStack counts only connected hosts
			continue
		}
		hc := capacityOf(h)
		out.TotalCPU += hc.totalCPU
		out.AvailableCPU += hc.availableCPU
		out.TotalMemory += hc.totalMemory
		out.AvailableMemory += hc.availableMemory
	}
	for _, id := range sc.hosts {
		if !seenHosts[id] && len(res.Failed) == 0 {
			fail(c, model.Errorf(model.ErrInvalid, "invalid query parameter: hostUuids: no host %s among the hosts you see", id))
			return
		}
	}
	for _, f := range res.Failed {
		out.FailedProviders = append(out.FailedProviders, providerFailure{Provider: f.Provider, Error: toErrorCode(f.Err)})
	}
	c.JSON(http.StatusOK, out)
}

// unknownScope refuses zone and cluster uuids that name nothing the caller sees.
func unknownScope(sc capacityScope, visible []model.Provider) error {
	for _, z := range sc.zones {
		if !slices.ContainsFunc(visible, func(p model.Provider) bool { return zoneUUIDOf(p) == z }) {
			return model.Errorf(model.ErrInvalid, "invalid query parameter: zoneUuids: no zone %s among the zones you see", shorten(z))
		}
	}
	for _, cl := range sc.clusters {
		if !slices.ContainsFunc(visible, func(p model.Provider) bool { return clusterUUIDOf(p) == cl }) {
			return model.Errorf(model.ErrInvalid, "invalid query parameter: clusterUuids: no cluster %s among the clusters you see", shorten(cl))
		}
	}
	return nil
}

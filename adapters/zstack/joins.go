package zstack

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// The manual's cross-resource conditions on a VM ("cluster.name=cluster1", "zone.name=...",
// "host.managementIp=...") are joins in the inventory's engine (inventory.Join) over the
// inventories QueryCluster, QueryZone and QueryHost answer. A provider is a ZStack cluster and
// its region the zone (zones.go): their tables are keyed by the provider name a VM row holds.
// Hosts are listed only for a query that names host.* or lastHost.*, keyed by the VM's
// hostUuid. Relations the broker keeps no table of (EIPs, L2 networks) are a 400 naming the
// path.

// providerKey is the cluster and zone tables' key column: the provider a row stands for.
const providerKey = "\x00provider"

// joinPaths are the fields of each related resource a VM condition may name.
var joinPaths = map[string][]string{
	"cluster":  inventory.Paths(reflect.TypeFor[clusterInventory]()),
	"zone":     inventory.Paths(reflect.TypeFor[zoneInventory]()),
	"host":     inventory.Paths(reflect.TypeFor[hostInventory]()),
	"lastHost": inventory.Paths(reflect.TypeFor[hostInventory]()), // the broker knows the current host only
}

// joinedField checks a condition's field that names a related resource; ok is false for a
// field that names none (a VM field, or unknown).
func joinedField(c cond) (ok bool, err error) {
	prefix, rest, dotted := strings.Cut(c.Field, ".")
	if !dotted {
		return false, nil
	}
	paths, known := joinPaths[prefix]
	switch {
	case slices.Contains([]string{"rootVolume", "image", "instanceOffering"}, prefix):
		return true, model.Errorf(model.ErrInvalid, "invalid query condition %q: %s cannot be queried: the broker keeps no %s inventory to join; query the VM's own %sUuid", c, c.Field, prefix, prefix)
	case !known:
		return false, nil
	case !slices.Contains(paths, rest):
		return true, model.Errorf(model.ErrInvalid, "invalid query condition %q: unknown field %q of the VM's %s; its fields are %s", c, rest, prefix, strings.Join(paths, ", "))
	}
	return true, nil
}

// joins are the cluster and zone tables of the caller's providers.
func (t translator) joins() []inventory.Join {
	ct := inventory.NewTable(inventory.Schema[clusterInventory]{Derived: map[string]func(*clusterInventory) []string{
		providerKey: func(r *clusterInventory) []string { return []string{r.provider} },
	}})
	ct.Reset(eachProvider(t.providers, clusterOf))
	zt := inventory.NewTable(inventory.Schema[zoneInventory]{Derived: map[string]func(*zoneInventory) []string{
		providerKey: func(r *zoneInventory) []string { return []string{r.provider} },
	}})
	zt.Reset(eachProvider(t.providers, zoneOf)) // one row per provider: the key is the provider
	return []inventory.Join{
		{Prefix: "cluster", Key: "provider", Related: ct, RelatedKey: providerKey},
		{Prefix: "zone", Key: "provider", Related: zt, RelatedKey: providerKey},
	}
}

// hostJoins relate hosts to VMs by the VM's hostUuid (and lastHostUuid, the same host).
func hostJoins(hosts []hostInventory) []inventory.Join {
	ht := inventory.NewTable(inventory.Schema[hostInventory]{})
	ht.Reset(hosts)
	return []inventory.Join{
		{Prefix: "host", Key: pathHostUUID, Related: ht, RelatedKey: "uuid"},
		{Prefix: "lastHost", Key: pathHostUUID, Related: ht, RelatedKey: "uuid"},
	}
}

// queryJoins are the related tables a query's conditions name; nil when they name none. The
// caller's hosts are listed only when a condition names them; a provider whose hosts could not
// be listed fails the query rather than dropping its VMs from the matches.
func (s *Server) queryJoins(ctx context.Context, caller model.Caller, tr translator, conds []cond) ([]inventory.Join, error) {
	var joins []inventory.Join
	needHosts := false
	for _, c := range conds {
		if joined, _ := joinedField(c); !joined {
			continue
		}
		if joins == nil {
			joins = tr.joins()
		}
		prefix, _, _ := strings.Cut(c.Field, ".")
		needHosts = needHosts || prefix == "host" || prefix == "lastHost"
	}
	if !needHosts {
		return joins, nil
	}
	hosts, err := s.hosts(ctx, caller)
	if err == nil && len(hosts.failed) > 0 {
		err = fmt.Errorf("the hosts of provider %q could not be listed: %w", hosts.failed[0].Provider, hosts.failed[0].Err)
	}
	if err != nil {
		return nil, err
	}
	return append(joins, hostJoins(hosts.items)...), nil
}

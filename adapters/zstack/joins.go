package zstack

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// The manual's cross-resource conditions on a VM ("cluster.name=cluster1", "zone.name=...",
// "host.managementIp=...", "vmNics.l3Network.name=...") are joins in the inventory's engine
// (inventory.Join) over the inventories QueryCluster, QueryZone, QueryHost, QueryL3Network and
// QueryPrimaryStorage answer. A provider is a ZStack cluster and its region the zone
// (zones.go): their tables are keyed by the provider name a VM row holds. Hosts, networks and
// storage are listed only for a query that names them, keyed by the VM's hostUuid,
// vmNics.l3NetworkUuid and allVolumes.primaryStorageUuid. Relations the broker keeps no table
// of (EIPs, L2 networks) are a 400 naming the path.

// providerKey is the cluster and zone tables' key column: the provider a row stands for.
const providerKey = "\x00provider"

// joinPaths are the fields of each related resource a VM condition may name.
var joinPaths = map[string][]string{
	"cluster":  inventory.Paths(reflect.TypeFor[clusterInventory]()),
	"zone":     inventory.Paths(reflect.TypeFor[zoneInventory]()),
	"host":     inventory.Paths(reflect.TypeFor[hostInventory]()),
	"lastHost": inventory.Paths(reflect.TypeFor[hostInventory]()), // the broker knows the current host only
	// A NIC's network, a volume's storage: the VM matches when any of its NICs (volumes) does.
	"vmNics.l3Network":          inventory.Paths(reflect.TypeFor[l3NetworkInventory]()),
	"allVolumes.primaryStorage": inventory.Paths(reflect.TypeFor[primaryStorageInventory]()),
}

// joinPrefix is the related resource a field names ("vmNics.l3Network" of
// "vmNics.l3Network.name"), the longest that fits; "" for none.
func joinPrefix(field string) string {
	best := ""
	for p := range joinPaths {
		if strings.HasPrefix(field, p+".") && len(p) > len(best) {
			best = p
		}
	}
	return best
}

// joinedField checks a condition's field that names a related resource; ok is false for a
// field that names none (a VM field, or unknown).
func joinedField(c cond) (ok bool, err error) {
	prefix, rest, dotted := strings.Cut(c.Field, ".")
	if !dotted {
		return false, nil
	}
	if slices.Contains([]string{"rootVolume", "image", "instanceOffering"}, prefix) {
		return true, model.Errorf(model.ErrInvalid, "invalid query condition %q: %s cannot be queried: the broker keeps no %s inventory to join; query the VM's own %sUuid", c, c.Field, prefix, prefix)
	}
	if prefix = joinPrefix(c.Field); prefix == "" {
		return false, nil
	}
	if rest = c.Field[len(prefix)+1:]; !slices.Contains(joinPaths[prefix], rest) {
		return true, model.Errorf(model.ErrInvalid, "invalid query condition %q: unknown field %q of the VM's %s; its fields are %s", c, rest, prefix, strings.Join(joinPaths[prefix], ", "))
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
	ht := byUUID(hosts)
	return []inventory.Join{
		{Prefix: "host", Key: pathHostUUID, Related: ht, RelatedKey: "uuid"},
		{Prefix: "lastHost", Key: pathHostUUID, Related: ht, RelatedKey: "uuid"},
	}
}

// byUUID is a table of inventories, keyed by their uuid for a join.
func byUUID[I any](items []I) *inventory.Table[I] {
	t := inventory.NewTable(inventory.Schema[I]{})
	t.Reset(items)
	return t
}

// listedJoin lists a related resource for a query that names it, as a join on key. A
// provider that could not be listed fails the query rather than dropping its VMs from the
// matches.
func listedJoin[I any](ctx context.Context, caller model.Caller, list func(context.Context, model.Caller) (listed[I], error), join func([]I) []inventory.Join) ([]inventory.Join, error) {
	l, err := list(ctx, caller)
	if err == nil && len(l.failed) > 0 {
		err = fmt.Errorf("provider %q could not be listed for a joined condition: %w", l.failed[0].Provider, l.failed[0].Err)
	}
	if err != nil {
		return nil, err
	}
	return join(l.items), nil
}

func l3Joins(nets []l3NetworkInventory) []inventory.Join {
	return []inventory.Join{{Prefix: "vmNics.l3Network", Key: pathL3NetworkUUIDs, Related: byUUID(nets), RelatedKey: "uuid"}}
}

func storageJoins(ps []primaryStorageInventory) []inventory.Join {
	return []inventory.Join{{Prefix: "allVolumes.primaryStorage", Key: pathPrimaryStorageUUIDs, Related: byUUID(ps), RelatedKey: "uuid"}}
}

// queryJoins are the related tables a query's conditions name; nil when they name none.
func (s *Server) queryJoins(ctx context.Context, caller model.Caller, tr translator, conds []cond) ([]inventory.Join, error) {
	var joins []inventory.Join
	need := map[string]bool{}
	for _, c := range conds {
		if joined, _ := joinedField(c); joined {
			need[joinPrefix(c.Field)] = true
		}
	}
	if len(need) == 0 {
		return nil, nil
	}
	joins = tr.joins()
	var err error
	add := func(js []inventory.Join, e error) {
		joins, err = append(joins, js...), cmp.Or(err, e)
	}
	if need["host"] || need["lastHost"] {
		add(listedJoin(ctx, caller, s.hosts, hostJoins))
	}
	if need["vmNics.l3Network"] {
		add(listedJoin(ctx, caller, s.l3Networks, l3Joins))
	}
	if need["allVolumes.primaryStorage"] {
		add(listedJoin(ctx, caller, s.primaryStorage, storageJoins))
	}
	return joins, err
}

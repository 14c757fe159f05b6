package zstack

import (
	"reflect"
	"slices"
	"strings"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// The manual's cross-resource conditions on a VM ("cluster.name=cluster1", "zone.name=...") are
// joins in the inventory's engine (inventory.Join): a provider is a ZStack cluster and its
// region the zone (inventory.go), so each query's visible providers make two small tables,
// keyed by the provider name a VM row holds. Relations the broker keeps no table of (hosts,
// EIPs, L2 networks) are a 400 naming the path.

// clusterRow is a cluster as a VM's related resource.
type clusterRow struct {
	UUID           string `json:"uuid"`
	Name           string `json:"name"`
	ZoneUUID       string `json:"zoneUuid"`
	HypervisorType string `json:"hypervisorType"`
	provider       string
}

// zoneRow is a zone as a VM's related resource, one per provider in it.
type zoneRow struct {
	UUID     string `json:"uuid"`
	Name     string `json:"name"`
	provider string
}

// providerKey is the related tables' key column: the provider a row stands for.
const providerKey = "\x00provider"

var (
	clusterPaths = inventory.Paths(reflect.TypeFor[clusterRow]())
	zonePaths    = inventory.Paths(reflect.TypeFor[zoneRow]())
)

// joinedField checks a condition's field that names a related resource; ok is false for a
// field that names none (a VM field, or unknown).
func joinedField(c cond) (ok bool, err error) {
	prefix, rest, dotted := strings.Cut(c.Field, ".")
	if !dotted {
		return false, nil
	}
	var paths []string
	switch prefix {
	case "cluster":
		paths = clusterPaths
	case "zone":
		paths = zonePaths
	case "host", "lastHost", "rootVolume", "image", "instanceOffering":
		return true, model.Errorf(model.ErrInvalid, "invalid query condition %q: %s cannot be queried: the broker keeps no %s inventory to join; query the VM's own %sUuid", c, c.Field, prefix, prefix)
	default:
		return false, nil
	}
	if !slices.Contains(paths, rest) {
		return true, model.Errorf(model.ErrInvalid, "invalid query condition %q: unknown field %q of the VM's %s; its fields are %s", c, rest, prefix, strings.Join(paths, ", "))
	}
	return true, nil
}

// joins are the related tables of the caller's providers.
func (t translator) joins() []inventory.Join {
	clusters := make([]clusterRow, 0, len(t.providers))
	zones := make([]zoneRow, 0, len(t.providers))
	for _, p := range t.providers {
		clusters = append(clusters, clusterRow{UUID: clusterUUIDOf(p), Name: p.Name, ZoneUUID: zoneUUIDOf(p), HypervisorType: hypervisorOf(p), provider: p.Name})
		zone := p.Region
		if zone == "" {
			zone = p.Name
		}
		zones = append(zones, zoneRow{UUID: zoneUUIDOf(p), Name: zone, provider: p.Name})
	}
	ct := inventory.NewTable(inventory.Schema[clusterRow]{Derived: map[string]func(*clusterRow) []string{
		providerKey: func(r *clusterRow) []string { return []string{r.provider} },
	}})
	ct.Reset(clusters)
	zt := inventory.NewTable(inventory.Schema[zoneRow]{Derived: map[string]func(*zoneRow) []string{
		providerKey: func(r *zoneRow) []string { return []string{r.provider} },
	}})
	zt.Reset(zones)
	return []inventory.Join{
		{Prefix: "cluster", Key: "provider", Related: ct, RelatedKey: providerKey},
		{Prefix: "zone", Key: "provider", Related: zt, RelatedKey: providerKey},
	}
}

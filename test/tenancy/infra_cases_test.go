package tenancy

import (
	"net/http"
	"net/url"
	"testing"

	"cloudbroker/broker"
)

// The ZStack infrastructure query APIs: A lists (with conditions naming B's cluster, zone, host
// and VM) and reads B's ids; the answers are A's own or empty, never B's (noLeak: B's cluster
// name, region, zone, cluster, host and VM uuids).
func init() {
	// B's ids each API could be asked by: those the world knows, and the network and
	// datastore every simulator has, derived on B's provider.
	byUUID := func(w *world) []namedID {
		return []namedID{
			{"B's zone", w.zone}, {"B's cluster", w.cluster}, {"B's host", w.hostB}, {"B's VM", w.vmB},
			{"B's network", broker.DerivedUUID("l3", "vc2", "VM Network")},
			{"B's datastore", broker.DerivedUUID("primary-storage", "vc2", "LocalDS_0")},
		}
	}
	for _, api := range []struct{ path, uuidRoute, what string }{
		{"zones", "/*uuid", "zones"}, {"clusters", "/:uuid", "clusters"}, {"hosts", "/:uuid", "hosts"},
		{"l3-networks", "/:uuid", "L3 networks"}, {"images", "/:uuid", "images"}, {"volumes", "/:uuid", "volumes"},
		{"primary-storage", "/:uuid", "primary storage"},
	} {
		base := "/zstack/v1/" + api.path
		cases["GET "+base] = routeCase{"queries of " + api.what + " with conditions naming B's cluster, zone, host, VM", func(_ *testing.T, w *world) []attempt {
			out := []attempt{{name: "all", method: http.MethodGet, path: base, header: oauth(w.sessA)}}
			for _, q := range []string{"clusterUuid=" + w.cluster, "zoneUuid=" + w.zone, "uuid=" + w.hostB, "vmInstanceUuid=" + w.vmB, "name=vc2"} {
				out = append(out, attempt{name: q, method: http.MethodGet, path: base + "?q=" + url.QueryEscape(q), header: oauth(w.sessA)})
			}
			return out
		}}
		cases["GET "+base+api.uuidRoute] = routeCase{"B's ids as " + api.what, func(_ *testing.T, w *world) []attempt {
			var out []attempt
			for _, id := range byUUID(w) {
				out = append(out, attempt{name: id.name, method: http.MethodGet, path: base + "/" + id.id, header: oauth(w.sessA)})
			}
			return out
		}}
	}
}

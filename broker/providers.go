package broker

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"cloudbroker/broker/model"
)

// Providers is the registry of providers: what the broker needs to route a request (driver,
// clientid, region), not how to reach the cloud; only workers hold connections. It holds the
// providers of the broker's configuration plus those agents announce in their heartbeats.
type Providers struct {
	static map[string]model.Provider

	mu     sync.RWMutex
	byName map[string]model.Provider
	names  []string
}

// NewProviders builds the registry from configured providers (names are unique: config
// validation ensures it).
func NewProviders(ps []model.Provider) *Providers {
	r := &Providers{static: map[string]model.Provider{}}
	for _, p := range ps {
		r.static[p.Name] = p
	}
	r.SetAnnounced(nil)
	return r
}

// SetAnnounced replaces the agent-announced providers. A provider is bound to the clientid of
// the agent that announces it. It returns the conflicts it ignored: a name the configuration
// binds elsewhere, or two agents announcing one name (the first, by clientid, wins).
func (r *Providers) SetAnnounced(agents []Agent) []error {
	byName := map[string]model.Provider{}
	for n, p := range r.static {
		byName[n] = p
	}
	var conflicts []error
	agents = slices.Clone(agents)
	slices.SortFunc(agents, func(a, b Agent) int { return strings.Compare(a.ClientID, b.ClientID) })
	announcedBy := map[string]string{}
	for _, a := range agents {
		for _, p := range a.Providers {
			p.ClientID = a.ClientID
			if s, ok := r.static[p.Name]; ok {
				if s.ClientID != a.ClientID {
					conflicts = append(conflicts, fmt.Errorf("agent %q announces provider %q, which the configuration binds to %q: ignored", a.ClientID, p.Name, s.ClientID))
				}
				continue
			}
			if other, dup := announcedBy[p.Name]; dup {
				conflicts = append(conflicts, fmt.Errorf("agents %q and %q both announce provider %q: %q ignored", other, a.ClientID, p.Name, a.ClientID))
				continue
			}
			announcedBy[p.Name] = a.ClientID
			byName[p.Name] = p
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	r.mu.Lock()
	r.byName, r.names = byName, names
	r.mu.Unlock()
	return conflicts
}

// Get returns a provider by name.
func (r *Providers) Get(name string) (model.Provider, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.byName[name]
	return p, ok
}

// Visible lists the providers the caller sees, sorted by name.
func (r *Providers) Visible(c model.Caller) []model.Provider {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []model.Provider
	for _, n := range r.names {
		if c.Sees(n) {
			out = append(out, r.byName[n])
		}
	}
	return out
}

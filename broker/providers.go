package broker

import (
	"slices"

	"cloudbroker/broker/model"
)

// Providers is the registry of configured providers: what the broker needs to route a request
// (driver, clientid), not how to reach the cloud; only workers hold connections.
type Providers struct {
	byName map[string]model.Provider
	names  []string
}

// NewProviders builds the registry. Names are unique (config validation ensures it).
func NewProviders(ps []model.Provider) *Providers {
	r := &Providers{byName: map[string]model.Provider{}}
	for _, p := range ps {
		r.byName[p.Name] = p
		r.names = append(r.names, p.Name)
	}
	slices.Sort(r.names)
	return r
}

// Get returns a provider by name.
func (r *Providers) Get(name string) (model.Provider, bool) {
	p, ok := r.byName[name]
	return p, ok
}

// Visible lists the providers the caller sees, sorted by name.
func (r *Providers) Visible(c Caller) []model.Provider {
	var out []model.Provider
	for _, n := range r.names {
		if c.Sees(n) {
			out = append(out, r.byName[n])
		}
	}
	return out
}

package model

import "slices"

// Caller is who makes a request, as the dialect's authentication established it. It fails
// closed: the zero Caller sees nothing, and seeing every provider is the explicit AllProviders.
type Caller struct {
	Name string
	// AllProviders lets the caller see every provider, present and future (operators, the
	// broker itself). Without it the caller sees exactly Providers.
	AllProviders bool
	Providers    []string
}

// System is the broker itself (start-up refreshes): it sees everything.
var System = Caller{Name: "system", AllProviders: true}

// Sees reports whether the caller may see the provider's resources and tasks.
func (c Caller) Sees(provider string) bool {
	return c.AllProviders || slices.Contains(c.Providers, provider)
}

// SeesAny reports whether the caller sees any of the providers (a notification about them).
func (c Caller) SeesAny(providers []string) bool {
	return c.AllProviders || slices.ContainsFunc(providers, c.Sees)
}

// SeesTask reports whether the caller may read a task on the provider with that owner: one on a
// provider it sees, or one on no provider that it submitted itself (callers that see every
// provider read all).
func (c Caller) SeesTask(provider, owner string) bool {
	if provider == "" {
		return c.AllProviders || (c.Name != "" && owner == c.Name)
	}
	return c.Sees(provider)
}

// RequireAll refuses (ErrUnauthorized) a caller limited to some providers the action, which
// concerns the whole broker rather than a tenant's part of it (the licence, clean-up jobs).
func (c Caller) RequireAll(action string) error {
	if !c.AllProviders {
		return Errorf(ErrUnauthorized, "%s may not %s: only a caller that sees every provider may", c.Name, action)
	}
	return nil
}

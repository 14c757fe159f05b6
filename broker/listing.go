package broker

import (
	"context"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// The per-provider listings (VMs, images, hosts, networks, storage) are one shape: a task on the provider whose
// run asks the connection's capability C for its items, wrapped in the type's result R.

// listingRun is the run of a listing task: what names the capability in the error of a
// connection without it.
func listingRun[C, T, R any](what string, list func(C, context.Context) ([]T, error), result func([]T) R) operation {
	return func(ctx context.Context, c drivers.Conn, spec TaskSpec) (any, error) {
		l, ok := c.(C)
		if !ok {
			return nil, drivers.Unsupported(spec.Provider, what)
		}
		items, err := list(l, ctx)
		if err != nil {
			return nil, err
		}
		return result(items), nil
	}
}

// listOn runs a listing task of taskType on provider p for caller c and returns its items.
func listOn[R, T any](ctx context.Context, b *Broker, c model.Caller, p model.Provider, taskType string, items func(R) []T) ([]T, error) {
	spec := TaskSpec{Type: taskType, Provider: p.Name, ClientID: p.ClientID, Background: c.Name == model.System.Name}
	res, err := runAndDecode[R](ctx, b, c, spec)
	return items(res), err
}

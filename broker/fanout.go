package broker

import (
	"sync"

	"cloudbroker/broker/model"
)

// perProvider is one provider's answer in a fan-out.
type perProvider[T any] struct {
	Provider model.Provider
	Value    T
	Err      error
}

// fanOut asks every provider at once (each call is its own task where the provider's worker
// is) and returns their answers in providers' order: one provider failing or slow does not
// hold back or empty the others'.
func fanOut[T any](providers []model.Provider, ask func(model.Provider) (T, error)) []perProvider[T] {
	out := make([]perProvider[T], len(providers))
	var wg sync.WaitGroup
	for i, p := range providers {
		out[i].Provider = p
		wg.Go(func() { out[i].Value, out[i].Err = ask(p) })
	}
	wg.Wait()
	return out
}

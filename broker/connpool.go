package broker

import (
	"context"
	"errors"
	"sync"

	"cloudbroker/drivers"
)

// Purposes a provider's connections are kept for. The watch has one of its own because a
// vCenter watch lives in its session (its property collector does): nothing a task does on
// its connection, a re-login included, can end it.
const (
	purposeTasks = "tasks"
	purposeWatch = "watch"
)

type connKey struct{ provider, purpose string }

// connPool keeps one open connection per provider and purpose. Concurrent callers that find
// none share one open (one login), and its failure: a provider that is down is not asked by
// every waiting task in turn.
type connPool struct {
	open func(context.Context, connKey) (drivers.Conn, error)

	mu      sync.Mutex
	conns   map[connKey]drivers.Conn
	opening map[connKey]*pendingOpen
	closed  bool
}

// pendingOpen is an open in progress; done is closed when c or err is set.
type pendingOpen struct {
	done chan struct{}
	c    drivers.Conn
	err  error
}

var errPoolClosed = errors.New("executor closed")

func (p *connPool) get(ctx context.Context, k connKey) (drivers.Conn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errPoolClosed
	}
	if c, ok := p.conns[k]; ok {
		p.mu.Unlock()
		return c, nil
	}
	po, busy := p.opening[k]
	if !busy {
		po = &pendingOpen{done: make(chan struct{})}
		p.opening[k] = po
		// The open is shared, so it must not end with the caller that happened to start it;
		// drivers bound their own Open by the provider's timeout.
		go p.finish(context.WithoutCancel(ctx), k, po)
	}
	p.mu.Unlock()
	select {
	case <-po.done:
		return po.c, po.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *connPool) finish(ctx context.Context, k connKey, po *pendingOpen) {
	c, err := p.open(ctx, k)
	p.mu.Lock()
	delete(p.opening, k)
	if err == nil && p.closed {
		c.Close()
		c, err = nil, errPoolClosed
	}
	if err == nil {
		p.conns[k] = c
	}
	po.c, po.err = c, err
	p.mu.Unlock()
	close(po.done)
}

func (p *connPool) closeAll() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	var errs []error
	for k, c := range p.conns {
		errs = append(errs, c.Close())
		delete(p.conns, k)
	}
	return errors.Join(errs...)
}

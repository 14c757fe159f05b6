package queue

import (
	"time"

	"github.com/alicebob/miniredis/v2"
)

// Embedded is an in-process Redis (miniredis) for the demo setup: about a third of a real
// Redis's throughput here and nothing survives a restart, so never for production.
type Embedded struct {
	mr   *miniredis.Miniredis
	stop chan struct{}
}

// StartEmbedded starts an in-process Redis on a free loopback port.
func StartEmbedded() (*Embedded, error) {
	mr := miniredis.NewMiniRedis()
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		return nil, err
	}
	e := &Embedded{mr: mr, stop: make(chan struct{})}
	// miniredis TTLs do not count down on their own (and ClockTTL makes every command sort all
	// keys), so advance its clock from a ticker: retention and asynq's locks then expire.
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				mr.FastForward(time.Second)
			case <-e.stop:
				return
			}
		}
	}()
	return e, nil
}

// Addr is host:port.
func (e *Embedded) Addr() string { return e.mr.Addr() }

// Close stops it.
func (e *Embedded) Close() {
	close(e.stop)
	e.mr.Close()
}

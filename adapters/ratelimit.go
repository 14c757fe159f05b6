package adapters

import (
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"cloudbroker/broker/model"
)

// Rate is a token bucket: RPS requests per second on average, bursts up to Burst.
type Rate struct {
	RPS   float64
	Burst int
}

// Limiter limits each caller (token) to its rate. A zero RPS means unlimited.
type Limiter struct {
	def Rate
	per map[string]Rate

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// NewLimiter returns a limiter with a default rate and per-caller overrides.
func NewLimiter(def Rate, per map[string]Rate) *Limiter {
	return &Limiter{def: def, per: per, buckets: map[string]*rate.Limiter{}}
}

// RateLimitError says the caller is over its rate and when to retry. It wraps
// model.ErrRateLimited; each dialect answers its own 429 with Retry-After.
type RateLimitError struct {
	Caller     string
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	if e.Caller == "login" {
		return fmt.Sprintf("too many login attempts: retry after %s", e.RetryAfterRounded())
	}
	return fmt.Sprintf("rate limit of %q exceeded: retry after %s", e.Caller, e.RetryAfterRounded())
}

// RetryAfterRounded is the wait as the message says it: whole seconds past a second.
func (e *RateLimitError) RetryAfterRounded() time.Duration {
	if e.RetryAfter >= time.Second {
		return e.RetryAfter.Round(time.Second)
	}
	return e.RetryAfter.Round(time.Millisecond)
}

func (e *RateLimitError) Unwrap() error { return model.ErrRateLimited }

// RetryAfterSeconds is the Retry-After header value: whole seconds, at least 1.
func (e *RateLimitError) RetryAfterSeconds() string {
	return fmt.Sprint(max(1, int(math.Ceil(e.RetryAfter.Seconds()))))
}

// Allow takes one request from the caller's bucket, or says how long to wait.
func (l *Limiter) Allow(caller string) error {
	if l == nil {
		return nil
	}
	r, ok := l.per[caller]
	if !ok {
		r = l.def
	}
	if r.RPS <= 0 {
		return nil
	}
	l.mu.Lock()
	b, ok := l.buckets[caller]
	if !ok {
		if len(l.buckets) >= sweepAt {
			l.sweep()
		}
		b = rate.NewLimiter(rate.Limit(r.RPS), max(r.Burst, 1))
		l.buckets[caller] = b
	}
	l.mu.Unlock()
	res := b.Reserve()
	if d := res.Delay(); d > 0 {
		res.Cancel() // a refused request spends no token
		return &RateLimitError{Caller: caller, RetryAfter: d}
	}
	return nil
}

// sweepAt bounds the buckets kept: anonymous callers get one per client address, so the map
// could otherwise grow with every address that ever called.
const sweepAt = 10000

// sweep drops the buckets that are full again: forgetting them changes no caller's allowance.
// l.mu is held.
func (l *Limiter) sweep() {
	for k, b := range l.buckets {
		if b.Tokens() >= float64(b.Burst()) {
			delete(l.buckets, k)
		}
	}
}

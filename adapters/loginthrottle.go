package adapters

import (
	"context"
	"errors"
	"time"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters/metrics"
	"cloudbroker/broker/model"
)

// AttemptPolicy is how login attempts are throttled: FreeAttempts in a row go through at once;
// then each next attempt waits, BaseDelay first, doubled per attempt up to MaxDelay.
// A success forgets the count; so does Window without an attempt.
type AttemptPolicy struct {
	FreeAttempts int
	BaseDelay    time.Duration
	MaxDelay     time.Duration
	Window       time.Duration
}

// AttemptStore counts login attempts where every broker replica sees them (redisstore.Logins in
// Redis), so guessing against several replicas gains nothing.
type AttemptStore interface {
	// Attempt records an attempt of key, unless key must still wait: then it records nothing
	// and returns the wait.
	Attempt(ctx context.Context, key string, p AttemptPolicy) (time.Duration, error)
	// Reset forgets key's attempts.
	Reset(ctx context.Context, key string) error
}

// LoginThrottle slows password guessing down, per account and per client address: an
// attacker cycling accounts meets the address's delay, one cycling addresses meets the
// account's. A refusal is a RateLimitError (Retry-After) counted in the metric.
type LoginThrottle struct {
	Store  AttemptStore
	Policy AttemptPolicy
}

// Try runs verify, the check of one login's credentials for account, unless the account or
// the client address must wait. verify's error is returned as is; a success resets both
// counts. A nil throttle only runs verify.
func (t *LoginThrottle) Try(c *gin.Context, d Dialect, account string, verify func() error) error {
	if t == nil {
		return verify()
	}
	ctx := c.Request.Context()
	keys := []string{"account:" + account, "address:" + c.ClientIP()}
	for _, k := range keys {
		wait, err := t.Store.Attempt(ctx, k, t.Policy)
		if err != nil {
			return err
		}
		if wait > 0 {
			metrics.RateLimited(d.Name(), "login")
			return &RateLimitError{Caller: "login", RetryAfter: wait}
		}
	}
	if err := verify(); err != nil {
		return err
	}
	for _, k := range keys {
		if err := t.Store.Reset(context.WithoutCancel(ctx), k); err != nil && !errors.Is(err, model.ErrNotFound) {
			return err
		}
	}
	return nil
}

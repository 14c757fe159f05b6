package redisstore_test

import (
	"context"
	"testing"
	"time"

	"cloudbroker/adapters"
	"cloudbroker/queue/redisstore"
	"cloudbroker/test/redistest"
)

// The wait grows by doubling up to the cap; an attempt that comes too early is not counted
// (it neither lengthens the wait nor uses a free attempt); a reset forgets everything; keys
// are independent.
func TestLoginAttemptsGrowingDelay(t *testing.T) {
	ctx := context.Background()
	l := redisstore.NewLogins(redistest.Start(t).CheckedClient(t))
	p := adapters.AttemptPolicy{FreeAttempts: 2, BaseDelay: 100 * time.Millisecond, MaxDelay: 400 * time.Millisecond, Window: time.Minute}
	attempt := func(key string) time.Duration {
		t.Helper()
		d, err := l.Attempt(ctx, key, p)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d1, d2 := attempt("a"), attempt("a"); d1 != 0 || d2 != 0 {
		t.Fatalf("the free attempts waited: %s, %s", d1, d2)
	}
	if other := attempt("b"); other != 0 {
		t.Fatalf("key b waits %s for key a's attempts", other)
	}
	// Each allowed attempt from here on sets the next one's wait: 100, 200, 400, 400 ms.
	for i, limit := range []time.Duration{100, 200, 400, 400} {
		limit *= time.Millisecond
		wait := attempt("a")
		if wait <= 0 || wait > limit {
			t.Fatalf("early attempt %d waits %s, want in (0, %s]", i, wait, limit)
		}
		if again := attempt("a"); again > wait || again <= 0 {
			t.Fatalf("a second early attempt waits %s after %s: refused attempts must not count", again, wait)
		}
		time.Sleep(wait + 5*time.Millisecond)
		if d := attempt("a"); d != 0 {
			t.Fatalf("attempt after the wait refused for %s", d)
		}
	}
	if err := l.Reset(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if d1, d2 := attempt("a"), attempt("a"); d1 != 0 || d2 != 0 {
		t.Fatalf("after a reset the free attempts waited: %s, %s", d1, d2)
	}
}

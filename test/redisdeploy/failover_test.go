// Package redisdeploy_test runs the broker on the Redis deployments it supports besides a
// single server: a Sentinel-managed master that fails over, and a TLS-only Redis.
package redisdeploy_test

import (
	"testing"
	"time"

	"cloudbroker/config"
	"cloudbroker/test/harness"
	"cloudbroker/test/redistest"
)

// A master SIGKILLed under a stream of tasks: the broker follows the sentinels to the promoted
// replica; every task it accepted (before, during, after) ends succeeded and stays readable,
// and a request it cannot take meanwhile gets vcproxy's 503, never a 500 or a hang. What Redis
// itself loses in a crash (writes not yet replicated) is kept out: see KillMaster.
func TestSentinelFailoverLosesNoAcceptedTask(t *testing.T) {
	sentinel := redistest.StartSentinel(t)
	rc := sentinel.Config()
	b := harness.Start(t, harness.Options{RedisConfig: &rc, Tune: func(c *config.Config) {
		c.Tasks.SyncTimeout = config.Duration(5 * time.Second)
		c.HTTP.WriteTimeout = config.Duration(10 * time.Second)
		c.HTTP.RateLimit.RPS = -1
	}})
	b.WaitSynced(t)
	s := startStream(b, b.VMIDs(t, "vc1"), 4)
	s.waitAccepted(t, 20)

	old := sentinel.KillMaster(t)
	killed, before := time.Now(), s.count()
	promoted := sentinel.WaitPromoted(t, old)
	t.Logf("master %s SIGKILLed with %d tasks accepted; %s promoted after %s", old.Addr, before, promoted.Addr, time.Since(killed).Round(time.Millisecond))
	s.waitAccepted(t, s.count()+40) // the broker takes tasks again, on the new master

	c := s.finish(t)
	t.Logf("accepted %d, completed %d, failed %d, lost %d, refused (503) %d, unexpected %d",
		c.Accepted, c.Completed, c.Failed, c.Lost, c.Refused, c.Unexpected)
	t.Logf("a refusal: %s", c.Refusal)
	if c.Completed != c.Accepted {
		t.Errorf("%d of %d accepted tasks completed", c.Completed, c.Accepted)
	}
}

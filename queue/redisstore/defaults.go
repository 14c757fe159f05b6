package redisstore

import "time"

// positiveOr is d, or def when d is not a positive duration (unset or nonsense).
func positiveOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

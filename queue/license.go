package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker/license"
)

// licenseKey holds the installed licence, with no expiry: it stays until replaced.
const licenseKey = "cb:license"

// Licenses keeps the installed licence in Redis, where every replica reads it. It implements
// license.Store.
type Licenses struct{ rdb redis.UniversalClient }

var _ license.Store = (*Licenses)(nil)

// NewLicenses returns the Redis licence store.
func NewLicenses(rdb redis.UniversalClient) *Licenses { return &Licenses{rdb: rdb} }

// Installed reads the installed licence.
func (l *Licenses) Installed(ctx context.Context) (license.Record, bool, error) {
	b, err := l.rdb.Get(ctx, licenseKey).Bytes()
	if errors.Is(err, redis.Nil) {
		return license.Record{}, false, nil
	}
	if err != nil {
		return license.Record{}, false, redisErr("read licence", err)
	}
	var in license.Record
	if err := json.Unmarshal(b, &in); err != nil {
		return license.Record{}, false, fmt.Errorf("the stored licence record is corrupt: %w", err)
	}
	return in, true, nil
}

// Install replaces the installed licence.
func (l *Licenses) Install(ctx context.Context, in license.Record) error {
	b, _ := json.Marshal(in)
	return redisErr("store licence", l.rdb.Set(ctx, licenseKey, b, 0).Err())
}

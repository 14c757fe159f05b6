package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker/license"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// Licenses keeps the installed licence in Redis, where every replica reads it. It implements
// license.Store.
type Licenses struct{ rdb redis.UniversalClient }

// NewLicenses returns the Redis licence store.
func NewLicenses(rdb redis.UniversalClient) *Licenses { return &Licenses{rdb: rdb} }

// Installed reads the installed licence.
func (l *Licenses) Installed(ctx context.Context) (license.Record, bool, error) {
	b, err := l.rdb.Get(ctx, keys.License).Bytes()
	if errors.Is(err, redis.Nil) {
		return license.Record{}, false, nil
	}
	if err != nil {
		return license.Record{}, false, rediserr.Wrap("read licence", err)
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
	return rediserr.Wrap("store licence", l.rdb.Set(ctx, keys.License, b, 0).Err())
}

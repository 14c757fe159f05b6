package redisstore

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// Refs keeps the VM uuid → (provider, native id) mapping in one Redis hash, shared by every
// broker replica.
type Refs struct{ rdb redis.UniversalClient }

// NewRefs returns the Redis ref store.
func NewRefs(rdb redis.UniversalClient) *Refs { return &Refs{rdb: rdb} }

// PutVMRefs records refs.
func (r *Refs) PutVMRefs(ctx context.Context, refs map[string]broker.VMRef) error {
	if len(refs) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(refs))
	for id, ref := range refs {
		b, _ := json.Marshal(ref)
		args = append(args, id, b)
	}
	return rediserr.Wrap("put vm refs", r.rdb.HSet(ctx, keys.VMRefs, args...).Err())
}

// ResolveVM finds a VM's ref.
func (r *Refs) ResolveVM(ctx context.Context, id string) (broker.VMRef, error) {
	b, err := r.rdb.HGet(ctx, keys.VMRefs, id).Bytes()
	if errors.Is(err, redis.Nil) {
		return broker.VMRef{}, model.Errorf(model.ErrNotFound, "vm %s not found", id)
	}
	if err != nil {
		return broker.VMRef{}, rediserr.Wrap("resolve vm", err)
	}
	var ref broker.VMRef
	if err := json.Unmarshal(b, &ref); err != nil {
		return broker.VMRef{}, err
	}
	return ref, nil
}

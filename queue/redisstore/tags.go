package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker/model"
	"cloudbroker/broker/tags"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// Tags keeps tags in Redis, shared by every replica. Keys share the {tags} hash tag so the
// scripts below also run on a Redis Cluster:
//
//	cb:{tags}:data                  hash: tag uuid → the tag's JSON
//	cb:{tags}:res:<kind>:<resource> hash: "<type>:<text>" → tag uuid, one per resource: its
//	                                tags, and what makes a duplicate impossible
//
// Every change goes through a script that changes both together, and a change that read a tag
// first applies only if the tag is still as it was read (retried otherwise).
type Tags struct {
	rdb redis.UniversalClient
}

func tagsResourceKey(t tags.Tag) string {
	return keys.TagsResource(string(t.Resource), t.ResourceUUID)
}

func tagsTextField(t tags.Tag) string { return string(t.Type) + ":" + t.Text }

// NewTags returns the store.
func NewTags(rdb redis.UniversalClient) *Tags { return &Tags{rdb: rdb} }

// createTagScript stores a tag unless its resource has one with the same type and text, whose
// uuid it then returns. KEYS: data, resource. ARGV: uuid, text field, json.
var createTagScript = redis.NewScript(`
local have = redis.call("HGET", KEYS[2], ARGV[2])
if have then return have end
redis.call("HSET", KEYS[2], ARGV[2], ARGV[1])
redis.call("HSET", KEYS[1], ARGV[1], ARGV[3])
return ""`)

// Create implements tags.Store.
func (s *Tags) Create(ctx context.Context, t tags.Tag) error {
	js, err := json.Marshal(t)
	if err != nil {
		return err
	}
	have, err := createTagScript.Run(ctx, s.rdb, []string{keys.TagsData, tagsResourceKey(t)}, t.UUID, tagsTextField(t), js).Text()
	if err != nil {
		return rediserr.Wrap("create tag", err)
	}
	if have != "" {
		return duplicateTag(t, have)
	}
	return nil
}

func duplicateTag(t tags.Tag, existing string) error {
	return fmt.Errorf("the %s tag %q is already on %s %s (tag %s): %w",
		t.Type, t.Text, t.Resource, t.ResourceUUID, existing, tags.ErrDuplicate)
}

// Get implements tags.Store.
func (s *Tags) Get(ctx context.Context, uuid string) (tags.Tag, error) {
	js, err := s.rdb.HGet(ctx, keys.TagsData, uuid).Bytes()
	if errors.Is(err, redis.Nil) {
		return tags.Tag{}, model.Errorf(model.ErrNotFound, "tag %s not found", uuid)
	}
	if err != nil {
		return tags.Tag{}, rediserr.Wrap("get tag", err)
	}
	var t tags.Tag
	if err := json.Unmarshal(js, &t); err != nil {
		return tags.Tag{}, fmt.Errorf("tag %s: decoding its record: %w", uuid, err)
	}
	return t, nil
}

// All implements tags.Store: one HGETALL. A record that cannot be decoded is skipped
// rather than failing every query that touches tags.
func (s *Tags) All(ctx context.Context) ([]tags.Tag, error) {
	m, err := s.rdb.HGetAll(ctx, keys.TagsData).Result()
	if err != nil {
		return nil, rediserr.Wrap("list tags", err)
	}
	out := make([]tags.Tag, 0, len(m))
	for _, js := range m {
		var t tags.Tag
		if json.Unmarshal([]byte(js), &t) == nil {
			out = append(out, t)
		}
	}
	return out, nil
}

// setTagTextScript moves a tag to a new text if it is still as read. KEYS: data, resource.
// ARGV: uuid, json as read, old field, new field, new json. Returns "" when done, "~" when
// the tag changed or went meanwhile, else the uuid of the tag that already has the text.
var setTagTextScript = redis.NewScript(`
if redis.call("HGET", KEYS[1], ARGV[1]) ~= ARGV[2] then return "~" end
local have = redis.call("HGET", KEYS[2], ARGV[4])
if have and have ~= ARGV[1] then return have end
redis.call("HDEL", KEYS[2], ARGV[3])
redis.call("HSET", KEYS[2], ARGV[4], ARGV[1])
redis.call("HSET", KEYS[1], ARGV[1], ARGV[5])
return ""`)

// casAttempts bounds the retries of a change whose tag kept changing under it.
const casAttempts = 5

// SetText implements tags.Store.
func (s *Tags) SetText(ctx context.Context, uuid, text string, at time.Time) (tags.Tag, error) {
	for range casAttempts {
		old, err := s.rdb.HGet(ctx, keys.TagsData, uuid).Result()
		if errors.Is(err, redis.Nil) {
			return tags.Tag{}, model.Errorf(model.ErrNotFound, "tag %s not found", uuid)
		}
		if err != nil {
			return tags.Tag{}, rediserr.Wrap("get tag", err)
		}
		var t tags.Tag
		if err := json.Unmarshal([]byte(old), &t); err != nil {
			return tags.Tag{}, fmt.Errorf("tag %s: decoding its record: %w", uuid, err)
		}
		oldField := tagsTextField(t)
		t.Text, t.UpdatedAt = text, at
		js, err := json.Marshal(t)
		if err != nil {
			return tags.Tag{}, err
		}
		r, err := setTagTextScript.Run(ctx, s.rdb, []string{keys.TagsData, tagsResourceKey(t)}, uuid, old, oldField, tagsTextField(t), js).Text()
		switch {
		case err != nil:
			return tags.Tag{}, rediserr.Wrap("update tag", err)
		case r == "":
			return t, nil
		case r != "~":
			return tags.Tag{}, duplicateTag(t, r)
		}
	}
	return tags.Tag{}, fmt.Errorf("tag %s kept changing while being updated; try again: %w", uuid, model.ErrConflict)
}

// deleteTagScript deletes a tag if it is still as read. KEYS: data, resource. ARGV: uuid, json
// as read, field. Returns 1 when deleted, 0 when gone, -1 when changed meanwhile.
var deleteTagScript = redis.NewScript(`
local cur = redis.call("HGET", KEYS[1], ARGV[1])
if not cur then return 0 end
if cur ~= ARGV[2] then return -1 end
redis.call("HDEL", KEYS[1], ARGV[1])
if redis.call("HGET", KEYS[2], ARGV[3]) == ARGV[1] then redis.call("HDEL", KEYS[2], ARGV[3]) end
return 1`)

// Delete implements tags.Store.
func (s *Tags) Delete(ctx context.Context, uuid string) (bool, error) {
	for range casAttempts {
		old, err := s.rdb.HGet(ctx, keys.TagsData, uuid).Result()
		if errors.Is(err, redis.Nil) {
			return false, nil
		}
		if err != nil {
			return false, rediserr.Wrap("get tag", err)
		}
		var t tags.Tag
		if err := json.Unmarshal([]byte(old), &t); err != nil {
			// Unreadable: its resource entry cannot be found either; drop the record alone.
			n, err := s.rdb.HDel(ctx, keys.TagsData, uuid).Result()
			return n > 0, rediserr.Wrap("delete tag", err)
		}
		n, err := deleteTagScript.Run(ctx, s.rdb, []string{keys.TagsData, tagsResourceKey(t)}, uuid, old, tagsTextField(t)).Int()
		if err != nil {
			return false, rediserr.Wrap("delete tag", err)
		}
		if n >= 0 {
			return n == 1, nil
		}
	}
	return false, fmt.Errorf("tag %s kept changing while being deleted; try again: %w", uuid, model.ErrConflict)
}

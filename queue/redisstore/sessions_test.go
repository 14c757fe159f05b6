package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"cloudbroker/broker/model"
	"cloudbroker/queue/redisstore"
	"cloudbroker/test/redistest"
)

func TestSessions(t *testing.T) {
	s := redisstore.NewSessions(redistest.Start(t).CheckedClient(t), "test")
	ctx := context.Background()
	if err := s.Put(ctx, "abc", []byte(`{"a":1}`), time.Second); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Get(ctx, "abc"); err != nil || string(b) != `{"a":1}` {
		t.Errorf("Get: %s, %v", b, err)
	}
	if ok, err := s.Delete(ctx, "abc"); !ok || err != nil {
		t.Errorf("Delete: %v, %v", ok, err)
	}
	if _, err := s.Get(ctx, "abc"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
	s.Put(ctx, "short", []byte("x"), 100*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	if _, err := s.Get(ctx, "short"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("Get after TTL: %v", err)
	}
}

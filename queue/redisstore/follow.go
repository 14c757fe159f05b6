package redisstore

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// A channel follower: what the caches of this package (sessions, image lists) share.

// event is what a follower is handed: the subscription confirmed (subscribed), a message on
// the channel (payload), or a quiet interval (idle).
type event struct {
	subscribed, idle bool
	payload          string
}

// runFollower runs follow until ctx ends, again after each error, with a growing pause;
// after each error, down runs first.
func runFollower(ctx context.Context, log *slog.Logger, what string, follow func(context.Context) error, down func()) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := follow(ctx)
		down()
		if ctx.Err() != nil {
			return
		}
		log.Warn(what+" restarting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// subscribe hands handle every event of channel until ctx ends or handle or the connection
// fails. A quiet interval of every is an idle event.
func subscribe(ctx context.Context, rdb redis.UniversalClient, channel string, every time.Duration, handle func(event) error) error {
	ps := rdb.Subscribe(ctx, channel)
	defer ps.Close()
	stop := context.AfterFunc(ctx, func() { ps.Close() }) // a blocked read does not watch ctx
	defer stop()
	for {
		msg, err := ps.ReceiveTimeout(ctx, every)
		var nerr net.Error
		switch {
		case errors.As(err, &nerr) && nerr.Timeout() && ctx.Err() == nil:
			err = handle(event{idle: true})
		case err != nil:
		default:
			switch m := msg.(type) {
			case *redis.Subscription:
				if m.Kind == "subscribe" {
					err = handle(event{subscribed: true})
				}
			case *redis.Message:
				err = handle(event{payload: m.Payload})
			}
		}
		if err != nil {
			return err
		}
	}
}

package reads

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// commandLog records the commands a client sends.
type commandLog struct {
	mu  sync.Mutex
	on  bool
	cmd []string
}

func (l *commandLog) DialHook(next redis.DialHook) redis.DialHook { return next }
func (l *commandLog) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, c redis.Cmder) error {
		l.add(c)
		return next(ctx, c)
	}
}
func (l *commandLog) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cs []redis.Cmder) error {
		for _, c := range cs {
			l.add(c)
		}
		return next(ctx, cs)
	}
}

func (l *commandLog) add(c redis.Cmder) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.on {
		args := c.Args()
		name := strings.ToUpper(c.Name())
		if len(args) > 1 {
			if k, ok := args[1].(string); ok {
				name += " " + k
			}
		}
		l.cmd = append(l.cmd, name)
	}
}

// TestRedisPerRead logs the Redis commands each read path sends per request (the request
// path's client; background loops such as the epoch check add one now and then) and checks
// what issue 17 removed: a ZStack request reads its session from Redis once, not per request,
// a task/info request of a finished task reads its record once (queue/finished.go), and a
// cimg/list request runs no listing task (no task record is read or written).
func TestRedisPerRead(t *testing.T) {
	br := start(t)
	log := &commandLog{}
	br.App.Redis().AddHook(log)
	const n = 20
	for _, tc := range []struct {
		path      string
		forbidden string // a key prefix no more than once in n requests
	}{
		{"vm/list", "cb:{inv}:status"},
		{"task/info", "HGETALL cb:task:"},
		{"zstack vm-instances", "GET cb:session:"},
		{"didi cimg/list", "HGETALL cb:task:"},
	} {
		c := pairs[tc.path](t, br)
		client := newClient()
		log.mu.Lock()
		log.on, log.cmd = true, nil
		log.mu.Unlock()
		for range n {
			if code, body, err := c.do(client); err != nil || code != 200 {
				t.Fatalf("%s: %d %v %s", tc.path, code, err, body)
			}
		}
		log.mu.Lock()
		log.on = false
		counts := map[string]int{}
		forbidden := 0
		for _, c := range log.cmd {
			counts[c]++
			if tc.forbidden != "" && strings.HasPrefix(c, tc.forbidden) {
				forbidden++
			}
		}
		total := len(log.cmd)
		log.mu.Unlock()
		var lines []string
		for c, k := range counts {
			lines = append(lines, c+" ×"+strconv.Itoa(k))
		}
		sort.Strings(lines)
		t.Logf("%s: %d commands per %d requests: %s", tc.path, total, n, strings.Join(lines, ", "))
		if forbidden > 1 {
			t.Errorf("%s: %d × %q in %d requests, want at most 1 (the first)", tc.path, forbidden, tc.forbidden, n)
		}
	}
}

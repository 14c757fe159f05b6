package redistest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// SlotChecker is a go-redis hook that records every command, and every MULTI ... EXEC, whose
// keys fall in more than one Redis Cluster slot: what a Cluster refuses with CROSSSLOT. It works
// on a single Redis too, so tests that never start a Cluster still keep the code Cluster-safe.
// Plain pipelines are not transactions (a Cluster client splits them by slot): each command
// in one is checked alone.
type SlotChecker struct {
	info map[string]*redis.CommandInfo

	mu         sync.Mutex
	violations []string
}

// NewSlotChecker installs a SlotChecker on c; install it before c is shared.
func NewSlotChecker(ctx context.Context, c redis.UniversalClient) (*SlotChecker, error) {
	info, err := c.Command(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("COMMAND (key positions for the slot checker): %w", err)
	}
	sc := &SlotChecker{info: info}
	c.AddHook(sc)
	return sc, nil
}

// CheckSlots installs a SlotChecker on c and fails the test at its end if any command c sent
// was cross-slot.
func CheckSlots(t testing.TB, c redis.UniversalClient) *SlotChecker {
	t.Helper()
	sc, err := NewSlotChecker(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, v := range sc.Violations() {
			t.Errorf("cross-slot: %s", v)
		}
	})
	return sc
}

// CheckedClient is Client with CheckSlots installed.
func (s *Server) CheckedClient(t testing.TB) redis.UniversalClient {
	c := s.Client(t)
	CheckSlots(t, c)
	return c
}

// Violations lists the cross-slot commands and transactions seen so far.
func (sc *SlotChecker) Violations() []string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return append([]string(nil), sc.violations...)
}

// DialHook implements redis.Hook.
func (sc *SlotChecker) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (sc *SlotChecker) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		sc.check([]redis.Cmder{cmd})
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook.
func (sc *SlotChecker) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && cmds[0].Name() == "multi" {
			sc.check(cmds)
		} else {
			for _, c := range cmds {
				sc.check([]redis.Cmder{c})
			}
		}
		return next(ctx, cmds)
	}
}

// check records cmds (one command, or a transaction) if their keys span two slots.
func (sc *SlotChecker) check(cmds []redis.Cmder) {
	slots := map[int]string{}
	var names []string
	for _, c := range cmds {
		keys := sc.Keys(c)
		for _, k := range keys {
			slots[Slot(k)] = k
		}
		if len(keys) > 0 {
			names = append(names, fmt.Sprintf("%s %q", strings.ToUpper(c.Name()), keys))
		}
	}
	if len(slots) < 2 {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.violations = append(sc.violations, strings.Join(names, "; "))
}

// Keys returns the keys of one command: from COMMAND's key positions, and for the commands
// whose keys move (scripts, streams, set algebra with a key count) from their arguments.
func (sc *SlotChecker) Keys(cmd redis.Cmder) []string {
	args := make([]string, len(cmd.Args()))
	for i, a := range cmd.Args() {
		args[i] = fmt.Sprint(a)
	}
	name := cmd.Name()
	switch name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return counted(args, 2)
	case "zunionstore", "zinterstore", "zdiffstore":
		return append([]string{args[1]}, counted(args, 2)...)
	case "zunion", "zinter", "zdiff", "sintercard", "zintercard", "lmpop", "zmpop":
		return counted(args, 1)
	case "xread", "xreadgroup":
		for i, a := range args {
			if strings.EqualFold(a, "streams") {
				rest := args[i+1:]
				return rest[:len(rest)/2]
			}
		}
		return nil
	}
	info := sc.info[name]
	if info == nil || info.FirstKeyPos <= 0 {
		return nil
	}
	last := int(info.LastKeyPos)
	if last < 0 {
		last += len(args)
	}
	step := max(int(info.StepCount), 1)
	var keys []string
	for i := int(info.FirstKeyPos); i <= last && i < len(args); i += step {
		keys = append(keys, args[i])
	}
	return keys
}

// counted reads "<numkeys> key ..." starting at args[at].
func counted(args []string, at int) []string {
	if at >= len(args) {
		return nil
	}
	n, err := strconv.Atoi(args[at])
	if err != nil || at+1+n > len(args) {
		return nil
	}
	return args[at+1 : at+1+n]
}

// Slot is the Redis Cluster slot of key: CRC16 (XMODEM) of its hash tag, the part between the
// first "{" and the next "}" when not empty, or of the whole key, modulo 16384.
func Slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}

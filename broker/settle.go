package broker

import (
	"context"
	"fmt"
)

// Settling: a task type's settle hook (tasktypes.go) runs on the broker side when it reads a
// succeeded task of that type, before the task is handed to anyone: it records what the
// result hands out (the ids of VMs a task created), so those ids resolve at once.
//
// Why here and not in the worker: the worker (the broker's own or an agent at a site) only
// writes task results, as for every other task type; the broker owns the id map, and derives a
// new VM's uuid from the task's provider (which it wrote at submit) and the native id. An agent
// needs no access to the id map, and a result reaches no caller without passing through Task
// or Wait. The uuid is a pure function of (provider, native id), so every replica agrees and
// writing a ref twice is harmless.

// settle runs t's hook, if its type has one and it succeeded.
func (b *Broker) settle(ctx context.Context, t Task) error {
	if t.State != TaskSucceeded {
		return nil
	}
	hook := taskTypes[t.Spec.Type].settle
	if hook == nil {
		return nil
	}
	if err := hook(b, ctx, t); err != nil {
		return fmt.Errorf("task %s: recording its result: %w", t.ID, err)
	}
	return nil
}

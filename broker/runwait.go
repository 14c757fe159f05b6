package broker

import (
	"context"
	"encoding/json"
	"fmt"
)

// runAndDecode submits a task, waits for it and decodes its result: the sync path every
// per-provider listing shares. A task that did not succeed (failed or canceled) returns why.
func runAndDecode[T any](ctx context.Context, b *Broker, c Caller, spec TaskSpec) (T, error) {
	var res T
	t, err := b.submit(ctx, spec)
	if err != nil {
		return res, err
	}
	if t, err = b.Wait(ctx, c, t.ID); err != nil {
		return res, err
	}
	if t.State != TaskSucceeded {
		if t.Err != nil {
			return res, t.Err
		}
		return res, fmt.Errorf("task %s ended %s", t.ID, t.State)
	}
	if err := json.Unmarshal(t.Result, &res); err != nil {
		return res, fmt.Errorf("task %s: decoding its %s result: %w", t.ID, spec.Type, err)
	}
	return res, nil
}

package vcproxy

import (
	"encoding/json"
	"sync"
	"time"

	"cloudbroker/broker"
)

// renderedTasks memoizes the task/info body of finished tasks: a client polling a finished
// task gets the same bytes each time, and rendering them (the result's JSON decoded into the
// envelope, the envelope encoded) was most of what task/info spent besides HTTP (issue 17).
//
// It is a memo, never a source: the handler reads the task through the broker first (scope,
// expiry, loss, all as before) and uses a body only if it was made from the same outcome (the
// state and the time it finished), which a finished task never changes.
type renderedTasks struct {
	mu   sync.Mutex
	byID map[string]renderedTask
}

type renderedTask struct {
	state    broker.TaskState
	finished time.Time
	body     []byte
}

// renderedMax bounds the memo; past it, it starts over.
const renderedMax = 4096

// of is finished task t's envelope, encoded.
func (r *renderedTasks) of(t broker.Task) ([]byte, error) {
	r.mu.Lock()
	e, ok := r.byID[t.ID]
	r.mu.Unlock()
	if ok && e.state == t.State && e.finished.Equal(t.UpdateTime) {
		return e.body, nil
	}
	body, err := json.Marshal(toEnvelope(t))
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil || len(r.byID) >= renderedMax {
		r.byID = map[string]renderedTask{}
	}
	r.byID[t.ID] = renderedTask{state: t.State, finished: t.UpdateTime, body: body}
	return body, nil
}

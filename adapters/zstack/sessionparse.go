package zstack

import (
	"encoding/json"
	"sync"
)

// Every request of a session reads the same record (the session store caches its bytes);
// parsing it is remembered here by the bytes themselves, so a changed record is parsed anew
// and nothing can go stale. Bounded: the memo starts over when full.

const sessionParsesMax = 4096

var sessionParses = struct {
	sync.RWMutex
	m map[string]session
}{m: map[string]session{}}

// parseSession is json.Unmarshal of a session record, once per distinct record.
func parseSession(b []byte) (session, error) {
	sessionParses.RLock()
	sess, ok := sessionParses.m[string(b)] // no copy of b for a lookup
	sessionParses.RUnlock()
	if ok {
		return sess, nil
	}
	if err := json.Unmarshal(b, &sess); err != nil {
		return session{}, err
	}
	sessionParses.Lock()
	defer sessionParses.Unlock()
	if len(sessionParses.m) >= sessionParsesMax {
		sessionParses.m = map[string]session{}
	}
	sessionParses.m[string(b)] = sess
	return sess, nil
}

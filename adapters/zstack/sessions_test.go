package zstack_test

import (
	"net/http"
	"testing"
	"time"

	"cloudbroker/config"
	"cloudbroker/test/harness"
	"cloudbroker/test/wait"
)

type zsError struct {
	Error struct{ Code, Description, Details string }
}

// expectError checks an answer's status and ZStack error code.
func expectError(t *testing.T, what string, res response, code int, zs string) {
	t.Helper()
	var e zsError
	res.json(t, &e)
	if res.Code != code || e.Error.Code != zs || e.Error.Description == "" || e.Error.Details == "" {
		t.Errorf("%s: %d %s; want %d with code %s", what, res.Code, res.Body, code, zs)
	}
}

func TestSessions(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	const vms = "/zstack/v1/vm-instances?count=true"

	res := call(t, b, http.MethodPut, "/zstack/v1/accounts/login", "", map[string]any{
		"logInByAccount": map[string]string{"accountName": "tenant-a", "password": config.HashPassword(passA)},
	})
	goldenJSON(t, "login", res.Body)
	var s struct {
		Inventory struct{ UUID, AccountUUID, UserUUID string }
	}
	res.json(t, &s)
	session := s.Inventory.UUID
	if res.Code != http.StatusOK || len(session) != 32 || s.Inventory.AccountUUID != s.Inventory.UserUUID {
		t.Fatalf("login: %d %s", res.Code, res.Body)
	}
	if res := call(t, b, http.MethodGet, vms, session, nil); res.Code != http.StatusOK || string(res.Body) != `{"total":4}` {
		t.Errorf("tenant-a count: %d %s, want its 4 VMs", res.Code, res.Body)
	}
	// X-Session-Id is accepted in place of Authorization.
	if res := call(t, b, http.MethodGet, vms, "", nil, "X-Session-Id", session); res.Code != http.StatusOK {
		t.Errorf("X-Session-Id: %d %s", res.Code, res.Body)
	}

	// Failed logins: one answer for a wrong password and an unknown account.
	for _, body := range []map[string]any{
		{"logInByAccount": map[string]string{"accountName": "tenant-a", "password": config.HashPassword("wrong")}},
		{"logInByAccount": map[string]string{"accountName": "nobody", "password": config.HashPassword(passA)}},
		{"logInByUser": map[string]string{"accountName": "tenant-a", "userName": "alice", "password": config.HashPassword("wrong")}},
		{"logInByUser": map[string]string{"accountName": "tenant-a", "userName": "bob", "password": config.HashPassword(passAlice)}},
	} {
		path := "/zstack/v1/accounts/login"
		if _, user := body["logInByUser"]; user {
			path = "/zstack/v1/accounts/users/login"
		}
		expectError(t, "bad login", call(t, b, http.MethodPut, path, "", body), http.StatusServiceUnavailable, "ID.1000")
	}
	expectError(t, "login without logInByAccount", call(t, b, http.MethodPut, "/zstack/v1/accounts/login", "", `{"x":1}`), http.StatusBadRequest, "SYS.1007")
	expectError(t, "login with bad JSON", call(t, b, http.MethodPut, "/zstack/v1/accounts/login", "", `{`), http.StatusBadRequest, "SYS.1007")

	// logInByUser: the user sees what its account sees.
	res = call(t, b, http.MethodPut, "/zstack/v1/accounts/users/login", "", map[string]any{
		"logInByUser": map[string]string{"accountName": "tenant-a", "userName": "alice", "password": config.HashPassword(passAlice)},
	})
	var us struct {
		Inventory struct{ UUID, AccountUUID, UserUUID string }
	}
	res.json(t, &us)
	if res.Code != http.StatusOK || us.Inventory.AccountUUID != s.Inventory.AccountUUID || us.Inventory.UserUUID == us.Inventory.AccountUUID {
		t.Fatalf("logInByUser: %d %s", res.Code, res.Body)
	}
	if res := call(t, b, http.MethodGet, vms, us.Inventory.UUID, nil); string(res.Body) != `{"total":4}` {
		t.Errorf("alice count: %s", res.Body)
	}

	// Unknown paths and methods under /zstack answer in the dialect's shape (the app's unrouted).
	expectError(t, "unknown path", call(t, b, http.MethodGet, "/zstack/v1/l2-networks", session, nil), http.StatusNotFound, "SYS.1008")
	expectError(t, "wrong method", call(t, b, http.MethodPatch, "/zstack/v1/vm-instances", session, `{}`), http.StatusMethodNotAllowed, "SYS.1008")
	expectError(t, "DELETE on a job", call(t, b, http.MethodDelete, "/zstack/v1/api-jobs/"+jobID, session, nil), http.StatusMethodNotAllowed, "SYS.1008")

	// Headers that are not a session.
	expectError(t, "no Authorization", call(t, b, http.MethodGet, vms, "", nil), http.StatusBadRequest, "SYS.1007")
	expectError(t, "Bearer", call(t, b, http.MethodGet, vms, "", nil, "Authorization", "Bearer "+session), http.StatusBadRequest, "SYS.1007")
	expectError(t, "unknown session", call(t, b, http.MethodGet, vms, "0123456789abcdef0123456789abcdef", nil), http.StatusServiceUnavailable, "ID.1001")

	// Every replica on the same Redis accepts the session.
	other := harness.Start(t, harness.Options{Redis: b.Redis, Sims: b.Sims, Tune: func(c *config.Config) { c.ZStack = b.Config.ZStack }})
	if res := call(t, other, http.MethodGet, vms, session, nil); res.Code != http.StatusOK {
		t.Errorf("second replica: %d %s", res.Code, res.Body)
	}

	// Logout ends it everywhere; valid says so; logging out twice is no error.
	if res := call(t, b, http.MethodGet, "/zstack/v1/accounts/sessions/"+session+"/valid", "", nil); string(res.Body) != `{"valid":true}` {
		t.Errorf("valid before logout: %s", res.Body)
	}
	for range 2 {
		if res := call(t, b, http.MethodDelete, "/zstack/v1/accounts/sessions/"+session, session, nil); res.Code != http.StatusOK {
			t.Errorf("logout: %d %s", res.Code, res.Body)
		}
	}
	// The other replica served the session from memory; the logout reaches it over pub/sub
	// (TestSessionsEndOnEveryReplica bounds it).
	wait.For(t, 5*time.Second, "logout seen by the other replica", func() bool {
		return call(t, other, http.MethodGet, vms, session, nil).Code == http.StatusServiceUnavailable
	})
	expectError(t, "after logout", call(t, other, http.MethodGet, vms, session, nil), http.StatusServiceUnavailable, "ID.1001")
	if res := call(t, b, http.MethodGet, "/zstack/v1/accounts/sessions/"+session+"/valid", "", nil); string(res.Body) != `{"valid":false}` {
		t.Errorf("valid after logout: %s", res.Body)
	}
}

func TestSessionExpires(t *testing.T) {
	b := startBroker(t, brokerOpts{tune: func(c *config.Config) { c.ZStack.SessionTimeout = config.Duration(time.Second) }})
	session := login(t, b, "admin", adminPass)
	if res := call(t, b, http.MethodGet, "/zstack/v1/vm-instances?count=true", session, nil); res.Code != http.StatusOK {
		t.Fatalf("fresh session: %d %s", res.Code, res.Body)
	}
	time.Sleep(1500 * time.Millisecond)
	expectError(t, "expired session", call(t, b, http.MethodGet, "/zstack/v1/vm-instances?count=true", session, nil), http.StatusServiceUnavailable, "ID.1001")
}

// TestSessionsEndOnEveryReplica: two replicas on one Redis, each serving sessions from memory
// with a cache ttl of an hour, so only the invalidations can end a session there: a logout on
// one replica, and Redis losing its data, end it on the other within the stated bounds (a
// pub/sub delivery; redis.loss_check_interval).
func TestSessionsEndOnEveryReplica(t *testing.T) {
	long := func(c *config.Config) { c.Redis.CacheTTL = config.Duration(time.Hour) }
	a := startBroker(t, brokerOpts{tune: long})
	b := harness.Start(t, harness.Options{Redis: a.Redis, Sims: a.Sims, Tune: func(c *config.Config) {
		c.ZStack = a.Config.ZStack
		long(c)
	}})
	b.WaitSynced(t)
	const vms = "/zstack/v1/vm-instances?count=true"
	ended := func(session string) func() bool {
		return func() bool {
			return call(t, b, http.MethodGet, vms, session, nil).Code == http.StatusServiceUnavailable
		}
	}

	session := login(t, a, "admin", adminPass)
	if res := call(t, b, http.MethodGet, vms, session, nil); res.Code != http.StatusOK {
		t.Fatalf("B in A's session: %d %s", res.Code, res.Body)
	}
	if res := call(t, a, http.MethodDelete, "/zstack/v1/accounts/sessions/"+session, session, nil); res.Code != http.StatusOK {
		t.Fatalf("logout on A: %d %s", res.Code, res.Body)
	}
	wait.For(t, 5*time.Second, "logout on A seen by B", ended(session))
	expectError(t, "B after logout on A", call(t, b, http.MethodGet, vms, session, nil), http.StatusServiceUnavailable, "ID.1001")

	// Redis loses its data: B's Epoch notices within loss_check_interval (1s) and empties its
	// cache; the session is gone with the data.
	session = login(t, a, "admin", adminPass)
	if res := call(t, b, http.MethodGet, vms, session, nil); res.Code != http.StatusOK {
		t.Fatalf("B in the new session: %d %s", res.Code, res.Body)
	}
	a.Redis.Flush(t)
	wait.For(t, 3*b.Config.Redis.LossCheckInterval.D()+time.Second, "session lost with Redis's data ended on B", ended(session))
}

package vcenter

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// errClosed is returned by every call on a closed Conn. It wraps net.ErrClosed so callers
// can tell "you closed it" from an endpoint failure.
var errClosed = fmt.Errorf("connection closed: %w", net.ErrClosed)

// session is a soap.RoundTripper that owns the login. When vCenter answers NotAuthenticated
// (the session expired, was terminated by an admin, or vpxd restarted) it logs in again once
// and retries the call, so a long-lived Conn survives a dropped session.
type session struct {
	soap    *soap.Client
	manager types.ManagedObjectReference
	user    *url.Userinfo
	timeout time.Duration

	closed atomic.Bool
	mu     sync.Mutex    // serializes logins so concurrent failures re-login only once
	gen    atomic.Uint64 // bumped by each successful login
	// tries counts login attempts, failed ones too, and lastErr (under mu) is the last one's
	// error: callers that found the session broken while someone else was already logging in
	// share that attempt's outcome instead of each trying again (no thundering herd when
	// vCenter refuses or cannot be reached).
	tries   atomic.Uint64
	lastErr error
}

// RoundTrip implements soap.RoundTripper.
func (s *session) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	if s.closed.Load() {
		return errClosed
	}
	gen, tries := s.gen.Load(), s.tries.Load()
	err := s.call(ctx, req, res)
	if err == nil || !isNotAuthenticated(err) || isLogin(req) {
		return err
	}
	if lerr := s.relogin(ctx, gen, tries); lerr != nil {
		return lerr
	}
	// The failed response left its fault in res; decode the retry into a fresh value.
	fresh := reflect.New(reflect.TypeOf(res).Elem()).Interface().(soap.HasFault)
	err = s.call(ctx, req, fresh)
	reflect.ValueOf(res).Elem().Set(reflect.ValueOf(fresh).Elem())
	return err
}

// call applies the per-call timeout. WaitForUpdatesEx is exempt: it is a long poll bounded
// by the caller's context (a clone may legitimately report nothing for minutes).
func (s *session) call(ctx context.Context, req, res soap.HasFault) error {
	if _, long := req.(*methods.WaitForUpdatesExBody); !long {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	return s.soap.RoundTrip(ctx, req, res)
}

func (s *session) login(ctx context.Context) error {
	s.tries.Add(1)
	pass, _ := s.user.Password()
	_, err := methods.Login(ctx, sessionCaller{s}, &types.Login{
		This:     s.manager,
		UserName: s.user.Username(),
		Password: pass,
	})
	if err == nil {
		s.gen.Add(1)
	}
	return err
}

// relogin logs in again unless another goroutine already tried since gen and tries were
// read (before the call that found the session gone): then that attempt's outcome is ours.
func (s *session) relogin(ctx context.Context, gen, tries uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return errClosed
	}
	if s.gen.Load() != gen {
		return nil
	}
	if s.tries.Load() != tries && s.lastErr != nil {
		return s.lastErr
	}
	err := s.login(ctx)
	s.lastErr = err
	if err != nil {
		return err
	}
	slog.Info("vcenter: session re-established", "endpoint", s.soap.URL().Host, "user", s.user.Username())
	return nil
}

// generation reports the current login generation for callers that detect an expired
// session themselves (PropertyCollector results carry it in MissingSet, not as a fault).
func (s *session) generation() uint64 { return s.gen.Load() }

func (s *session) logout(ctx context.Context) error {
	_, err := methods.Logout(ctx, sessionCaller{s}, &types.Logout{This: s.manager})
	return err
}

// sessionCaller sends straight to the endpoint with the per-call timeout but without the
// re-login loop (login and logout must not recurse into it) and without the closed check
// (Close must still log out).
type sessionCaller struct{ s *session }

func (c sessionCaller) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	return c.s.call(ctx, req, res)
}

func isLogin(req soap.HasFault) bool {
	switch req.(type) {
	case *methods.LoginBody, *methods.LoginByTokenBody, *methods.LoginExtensionByCertificateBody,
		*methods.LogoutBody:
		return true
	}
	return false
}

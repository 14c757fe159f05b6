package zstack

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"cloudbroker/adapters"
	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// session is what the store keeps under a session's uuid. It names the account (and user),
// not their providers: the configuration in force decides what a session sees, so an account
// removed or narrowed in the configuration is so for its open sessions too.
type session struct {
	UUID        string    `json:"uuid"`
	Account     string    `json:"account"`
	User        string    `json:"user,omitempty"`
	AccountUUID string    `json:"accountUuid"`
	UserUUID    string    `json:"userUuid"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires"`
}

type logInByAccountBody struct {
	LogInByAccount *struct {
		AccountName string `json:"accountName"`
		Password    string `json:"password"`
	} `json:"logInByAccount"`
}

type logInByUserBody struct {
	LogInByUser *struct {
		AccountName string `json:"accountName"`
		AccountUUID string `json:"accountUuid"`
		UserName    string `json:"userName"`
		Password    string `json:"password"`
	} `json:"logInByUser"`
}

func accountUUID(name string) string       { return nameUUID("account", name) }
func userUUID(account, user string) string { return nameUUID("user", account, user) }

// newUUID is a random (v4) uuid without dashes, the form of ZStack's ids.
func newUUID() string { return strings.ReplaceAll(uuid.NewString(), "-", "") }

// decodeJSON parses a body into v; an error wraps model.ErrInvalid.
func decodeJSON(body []byte, v any) error { return adapters.DecodeJSON(body, v) }

// passwordMatches compares sha512 hex digests in constant time.
func passwordMatches(want, got string) bool {
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(got))) == 1
}

// logInByAccount is PUT /zstack/v1/accounts/login. Login is synchronous: 200 with the session.
func (s *Server) logInByAccount(c *gin.Context) {
	raw, ok := s.body(c)
	if !ok {
		return
	}
	var b logInByAccountBody
	if err := decodeJSON(raw, &b); err != nil {
		fail(c, err)
		return
	}
	if b.LogInByAccount == nil {
		fail(c, model.Errorf(model.ErrInvalid, `the body must be {"logInByAccount":{"accountName":...,"password":<sha512 hex>}}`))
		return
	}
	a, known := s.accounts[b.LogInByAccount.AccountName]
	err := s.o.Logins.Try(c, s, b.LogInByAccount.AccountName, func() error {
		// Compare even for an unknown account, so timing does not tell which names exist.
		if !passwordMatches(a.PasswordSHA512, b.LogInByAccount.Password) || !known {
			return errLogin
		}
		return nil
	})
	if err != nil {
		fail(c, err)
		return
	}
	s.startSession(c, session{Account: a.Name, AccountUUID: accountUUID(a.Name), UserUUID: accountUUID(a.Name)})
}

// logInByUser is PUT /zstack/v1/accounts/users/login.
func (s *Server) logInByUser(c *gin.Context) {
	raw, ok := s.body(c)
	if !ok {
		return
	}
	var b logInByUserBody
	if err := decodeJSON(raw, &b); err != nil {
		fail(c, err)
		return
	}
	in := b.LogInByUser
	if in == nil {
		fail(c, model.Errorf(model.ErrInvalid, `the body must be {"logInByUser":{"accountName":...,"userName":...,"password":<sha512 hex>}}`))
		return
	}
	a, known := s.accounts[in.AccountName]
	if in.AccountName == "" && in.AccountUUID != "" {
		for _, acc := range s.accounts {
			if accountUUID(acc.Name) == in.AccountUUID {
				a, known = acc, true
			}
		}
	}
	var u User
	for _, x := range a.Users {
		if x.Name == in.UserName {
			u = x
		}
	}
	who := a.Name // the account's own name, however it was named, so its users share one count
	if !known {
		who = in.AccountName + "|" + in.AccountUUID
	}
	err := s.o.Logins.Try(c, s, who+"/"+in.UserName, func() error {
		if !passwordMatches(u.PasswordSHA512, in.Password) || !known || u.Name == "" {
			return errLogin
		}
		return nil
	})
	if err != nil {
		fail(c, err)
		return
	}
	s.startSession(c, session{Account: a.Name, User: u.Name, AccountUUID: accountUUID(a.Name), UserUUID: userUUID(a.Name, u.Name)})
}

func (s *Server) startSession(c *gin.Context, sess session) {
	now := time.Now()
	sess.UUID, sess.Created, sess.Expires = newUUID(), now, now.Add(s.o.SessionTimeout)
	b, _ := json.Marshal(sess)
	if err := s.o.Sessions.Put(c.Request.Context(), sess.UUID, b, s.o.SessionTimeout); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"inventory": sessionInventory{
		UUID: sess.UUID, AccountUUID: sess.AccountUUID, UserUUID: sess.UserUUID,
		ExpiredDate: s.r.date(sess.Expires), CreateDate: s.r.date(sess.Created),
	}})
}

// logOut is DELETE /zstack/v1/accounts/sessions/{uuid}: the session ends; logging out twice
// is no error.
func (s *Server) logOut(c *gin.Context) {
	if id := strings.ToLower(c.Param("uuid")); broker.IsUUID(id) {
		if _, err := s.o.Sessions.Delete(c.Request.Context(), id); err != nil {
			fail(c, err)
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{})
}

// validSession is GET /zstack/v1/accounts/sessions/{uuid}/valid.
func (s *Server) validSession(c *gin.Context) {
	_, err := s.session(c.Request, strings.ToLower(c.Param("uuid")))
	if err != nil && !errors.Is(err, errSession) {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"valid": err == nil})
}

// sessionID reads the session's uuid from "Authorization: OAuth <uuid>", else X-Session-Id.
func sessionID(r *http.Request) (string, error) {
	if h := strings.TrimSpace(r.Header.Get("Authorization")); h != "" {
		scheme, id, _ := strings.Cut(h, " ")
		if scheme != "OAuth" {
			return "", model.Errorf(model.ErrInvalid, "Authorization type must be 'OAuth', as in \"Authorization: OAuth <session uuid>\"")
		}
		return strings.ToLower(strings.TrimSpace(id)), nil
	}
	if id := strings.TrimSpace(r.Header.Get("X-Session-Id")); id != "" {
		return strings.ToLower(id), nil
	}
	return "", adapters.NoCredentials(model.ErrInvalid, "missing header 'Authorization' (\"OAuth <session uuid>\" from PUT /zstack/v1/accounts/login)")
}

// session reads a live session.
func (s *Server) session(r *http.Request, id string) (session, error) {
	if !broker.IsUUID(id) {
		return session{}, fmt.Errorf("session %q: %w", shorten(id), errSession)
	}
	b, err := s.o.Sessions.Get(r.Context(), id)
	if errors.Is(err, model.ErrNotFound) {
		return session{}, fmt.Errorf("session %s: %w", id, errSession)
	}
	if err != nil {
		return session{}, err
	}
	sess, err := parseSession(b)
	if err != nil {
		return session{}, fmt.Errorf("session %s: corrupt record: %w", id, err)
	}
	if time.Now().After(sess.Expires) {
		return session{}, fmt.Errorf("session %s (expired at %s): %w", id, s.r.date(sess.Expires), errSession)
	}
	return sess, nil
}

// callerOfRequest authenticates a request: its session's account as configured now.
func (s *Server) callerOfRequest(r *http.Request) (model.Caller, error) {
	id, err := sessionID(r)
	if err != nil {
		return model.Caller{}, err
	}
	sess, err := s.session(r, id)
	if err != nil {
		return model.Caller{}, err
	}
	a, ok := s.accounts[sess.Account]
	if !ok {
		return model.Caller{}, fmt.Errorf("session %s: account %q no longer exists: %w", id, sess.Account, errSession)
	}
	name := CallerName(a.Name, sess.User)
	if sess.User != "" {
		found := false
		for _, u := range a.Users {
			found = found || u.Name == sess.User
		}
		if !found {
			return model.Caller{}, fmt.Errorf("session %s: user %q of account %q no longer exists: %w", id, sess.User, a.Name, errSession)
		}
	}
	return model.Caller{Name: name, AllProviders: a.AllProviders, Providers: a.Providers}, nil
}

// CallerName is the caller name of an account's sessions ("zstack:<account>") or of one of its
// users' ("zstack:<account>/<user>"): tasks are owned, and rates counted, by it.
func CallerName(account, user string) string {
	if user == "" {
		return "zstack:" + account
	}
	return "zstack:" + account + "/" + user
}

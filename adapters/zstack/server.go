// Package zstack speaks the ZStack REST dialect (/zstack/v1/...) as the ZStack 2.3.1 manual's
// "API 规范概述" fixes it (ZStack 2.3.1 developer manual): sessions from
// logInByAccount / logInByUser, "Authorization: OAuth <session>", async calls answered 202 with an
// api-jobs location, X-Job-UUID and X-Web-Hook, the query language, {"error":{...}} errors. The
// public ZStack Go SDK (terraform-zstack-modules/zstack-sdk-go v1.0.1) works against it unchanged.
package zstack

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker"
	"cloudbroker/broker/gc"
	"cloudbroker/broker/license"
	"cloudbroker/broker/longjobs"
	"cloudbroker/broker/model"
	"cloudbroker/broker/nodes"
	"cloudbroker/broker/notify"
	"cloudbroker/broker/tags"
)

// Account is a tenant that may log in; it and its users see only its providers.
type Account struct {
	Name           string
	PasswordSHA512 string // lowercase hex, as clients send it
	// AllProviders lets the account see every provider; otherwise it sees exactly Providers.
	AllProviders bool
	Providers    []string
	Users        []User
}

// User logs in with logInByUser and sees what its account sees.
type User struct {
	Name           string
	PasswordSHA512 string
}

// SessionStore keeps sessions where every broker replica reads them (redisstore.Sessions in Redis).
type SessionStore interface {
	Put(ctx context.Context, id string, v []byte, ttl time.Duration) error
	// Get returns an error wrapping model.ErrNotFound for an unknown or expired session.
	Get(ctx context.Context, id string) ([]byte, error)
	Delete(ctx context.Context, id string) (bool, error)
}

// HookRegistry records X-Web-Hook callbacks (queue.Webhooks).
type HookRegistry interface {
	// Register records that the job's result goes to url; the job is already submitted.
	Register(ctx context.Context, jobID, url string) error
}

// Options configure the dialect.
type Options struct {
	Accounts       []Account
	SessionTimeout time.Duration
	// Location renders dates; nil means UTC+8, as the ZStack Go SDK reads them.
	Location *time.Location
	// PublicURL is the base of api-job locations; empty means the request's scheme and Host.
	PublicURL string
	// AllowedHooks are the hosts X-Web-Hook may name ("host", "host:port", "*.domain").
	AllowedHooks []string
	MaxBody      int64
	Sessions     SessionStore
	// Hooks is nil when callbacks are not delivered: X-Web-Hook is then refused.
	Hooks HookRegistry
	// NodeID is this replica's node uuid; Nodes lists the running replicas and says whether
	// this one is ready.
	NodeID string
	Nodes  *nodes.Service
	// Version is the build's version (GetVersion).
	Version string
	// Licenses is the broker's licence.
	Licenses *license.Service
	// GC is the broker's clean-up jobs (gcjobs.go); nil means none run: the GC job APIs are
	// unsupported.
	GC *gc.Service
	// LongJobs keeps long jobs (longjobs.go); nil means none are kept: the long job APIs are
	// unsupported.
	LongJobs *longjobs.Service
	// Notifications are the broker's events (notifications.go); nil means none are kept: the
	// notification APIs are unsupported.
	Notifications *notify.Service
	// Tags keeps tags (tags.go); nil means none are kept: the tag APIs are unsupported and tag
	// conditions match untagged resources.
	Tags *tags.Service
	// Logins throttles password guessing on the login APIs; nil means no throttle.
	Logins *adapters.LoginThrottle
}

// Server holds the dialect's dependencies.
type Server struct {
	b        *broker.Broker
	o        Options
	accounts map[string]Account
	r        renderer
	allow    hostAllowList
}

// New returns the dialect's server.
func New(b *broker.Broker, o Options) *Server {
	if o.Location == nil {
		o.Location = time.FixedZone("CST", 8*3600)
	}
	if o.SessionTimeout == 0 {
		o.SessionTimeout = 2 * time.Hour
	}
	s := &Server{b: b, o: o, accounts: map[string]Account{}, r: renderer{providers: b.Providers(), loc: o.Location},
		allow: hostAllowList(o.AllowedHooks)}
	for _, a := range o.Accounts {
		s.accounts[a.Name] = a
	}
	return s
}

var _ adapters.Dialect = (*Server)(nil)

// Register mounts the dialect's routes on r behind the edge.
func (s *Server) Register(r gin.IRouter, edge *adapters.Edge) {
	g := r.Group("/zstack/v1")
	open := edge.Open(s)
	g.PUT("/accounts/login", open, s.logInByAccount)
	g.PUT("/accounts/users/login", open, s.logInByUser)
	// Knowing a session's uuid is what these two need, as in ZStack (no Authorization).
	g.DELETE("/accounts/sessions/:uuid", open, s.logOut)
	g.GET("/accounts/sessions/:uuid/valid", open, s.validSession)

	// GetVersion and GetCurrentTime need no session, as in ZStack; their jobs are polled
	// without one too (nodes.go).
	g.PUT("/management-nodes/actions", edge.GuardOptional(s, anonymous), s.managementNodeActions)
	g.GET("/api-jobs/:uuid", edge.GuardOptional(s, anonymous), s.job)

	a := g.Group("", edge.Guard(s))
	query(a, "/management-nodes", s.queryManagementNodes)
	a.GET("/management-nodes/ready", s.isReadyToGo)
	a.GET("/licenses", s.getLicenseInfo)
	a.GET("/licenses/capabilities", s.getLicenseCapabilities)
	a.PUT("/licenses/actions", s.licenseActions)
	a.PUT("/licenses/mn/:uuid/actions", s.updateLicense)
	query(a, "/notifications", s.queryNotifications) // notifications.go
	a.PUT("/notifications/actions", s.notificationActions)
	a.DELETE("/notifications", s.deleteNotifications)
	query(a, "/gc-jobs", s.queryGCJobs) // gcjobs.go
	a.PUT("/gc-jobs/:uuid/actions", s.gcJobActions)
	a.DELETE("/gc-jobs/:uuid", s.deleteGCJob)
	a.POST("/system-tags", s.createSystemTag) // tags.go
	query(a, "/system-tags", s.querySystemTags)
	a.PUT("/system-tags/:uuid/actions", s.systemTagActions)
	a.POST("/user-tags", s.createUserTag)
	query(a, "/user-tags", s.queryUserTags)
	a.DELETE("/tags/:uuid", s.deleteTag)
	query(a, "/vm-instances", s.queryVMs)
	a.POST("/vm-instances", s.createVM) // create.go
	a.DELETE("/vm-instances/:uuid", s.destroyVM)
	a.GET("/vm-instances/:uuid/iso-candidates", s.isoCandidates)
	a.PUT("/vm-instances/:uuid/actions", s.vmActions)
	a.GET("/hosts/capacities/cpu-memory", s.cpuMemoryCapacity)
	// The infrastructure's query APIs (queryapi.go).
	// The SDK's GetZone asks GET /zones//{uuid}: the zones' {uuid} is a catch-all that takes it.
	zones := serveQuery(s, queryAPI[zoneInventory]{resource: "Zone", list: s.zones})
	a.GET("/zones", zones)
	a.GET("/zones/*uuid", zones)
	query(a, "/clusters", serveQuery(s, queryAPI[clusterInventory]{resource: "Cluster", list: s.clusters}))
	query(a, "/hosts", serveQuery(s, queryAPI[hostInventory]{resource: "Host", list: s.hosts, tagsOn: tags.OnHost, uuidOf: func(h *hostInventory) string { return h.UUID }}))
	query(a, "/l3-networks", serveQuery(s, queryAPI[l3NetworkInventory]{resource: "L3Network", list: s.l3Networks}))
	query(a, "/images", serveQuery(s, queryAPI[imageInventory]{resource: "Image", list: s.images, tagsOn: tags.OnImage, uuidOf: func(i *imageInventory) string { return i.UUID }}))
	query(a, "/volumes", serveQuery(s, queryAPI[volume]{resource: "Volume", list: s.volumes}))
	query(a, "/primary-storage", serveQuery(s, queryAPI[primaryStorageInventory]{resource: "PrimaryStorage", list: s.primaryStorage}))
	a.GET("/task-progresses/:apiId", s.taskProgress) // progress.go
	a.POST("/longjobs", s.submitLongJob)             // longjobs.go
	query(a, "/longjobs", s.queryLongJobs)
	a.PUT("/longjobs/:uuid/actions", s.longJobActions)
	a.DELETE("/longjobs/:uuid", s.deleteLongJob)
}

func callerOf(c *gin.Context) model.Caller { return adapters.CallerOf(c) }

// Name implements adapters.Dialect.
func (s *Server) Name() string { return "zstack" }

// Authenticate implements adapters.Dialect: the session of "Authorization: OAuth <uuid>" (or
// X-Session-Id), as its account is configured now.
func (s *Server) Authenticate(c *gin.Context) (model.Caller, error) {
	return s.callerOfRequest(c.Request)
}

// WriteError implements adapters.Dialect.
func (s *Server) WriteError(c *gin.Context, err error, msg string) { writeError(c, err, msg) }

// body reads the request body within the size limit.
func (s *Server) body(c *gin.Context) ([]byte, bool) {
	b, err := adapters.ReadBody(c.Writer, c.Request, s.o.MaxBody)
	if err != nil {
		fail(c, err)
		return nil, false
	}
	return b, true
}

// fail answers an error in the dialect's shape, through the edge's one error path.
func fail(c *gin.Context, err error) { adapters.Fail(c, errorWriter{}, err) }

type errorWriter struct{}

func (errorWriter) WriteError(c *gin.Context, err error, msg string) { writeError(c, err, msg) }

func writeError(c *gin.Context, err error, msg string) {
	code, _ := status(err)
	c.JSON(code, errorBody{Error: errorCodeWith(err, msg)})
}

// Unrouted answers a request for a path or method the dialect does not have, in its shape.
func Unrouted(c *gin.Context, code int) {
	if code == http.StatusMethodNotAllowed {
		fail(c, fmt.Errorf("method %s is not allowed on %s: %w", c.Request.Method, c.Request.URL.Path, errNoMethod))
		return
	}
	fail(c, fmt.Errorf("no API mapping to %s %s: %w", c.Request.Method, c.Request.URL.Path, errNoRoute))
}

// Package vcenter is the cloudbroker driver for VMware vCenter (and standalone ESXi), built on
// govmomi. It registers itself as "vcenter"; import it for its side effect:
//
//	import _ "cloudbroker/drivers/vcenter"
//
// Every listing is one PropertyCollector round trip that fetches only the properties the
// normalized model needs, so a large inventory costs one request, not one per VM.
package vcenter

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/session/keepalive"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.Conn = (*Conn)(nil)

// DriverName is the name the driver registers under.
const DriverName = "vcenter"

const (
	// DefaultTimeout bounds each call to the endpoint when drivers.Config.Timeout is zero.
	DefaultTimeout = 30 * time.Second
	// DefaultKeepAlive is the interval between keepalive calls, well inside the 30 minutes
	// after which vCenter expires an idle session by default.
	DefaultKeepAlive = 5 * time.Minute
)

// Option keys read from drivers.Config.Options.
const (
	// OptDatacenter limits VM, image and host listings to one datacenter (name or inventory
	// path). Empty means every datacenter.
	OptDatacenter = "datacenter"
	// OptKeepAlive is the interval between session keepalive calls, a Go duration ("5m");
	// "0" turns keepalive off (a dropped session is still re-established on demand).
	OptKeepAlive = "keepalive"
)

func init() { drivers.RegisterOpener(DriverName, Open, drivers.Hypervisor(drivers.HypervisorESX)) }

// Conn is an open, logged-in connection to one vCenter. It is safe for concurrent use.
type Conn struct {
	provider string
	client   *vim25.Client
	sess     *session
	ka       *keepalive.HandlerSOAP // nil when keepalive is off
	// root is where inventory traversals start: the root folder or the configured datacenter.
	root types.ManagedObjectReference
	// watchPage and watchWait are Watch's MaxObjectUpdates and MaxWaitSeconds; watchResume
	// how long it asks a failing poll again (OptWatchResume).
	watchPage   int32
	watchWait   time.Duration
	watchResume time.Duration
	// guestWait bounds a grace stop's wait for the guest (OptShutdownTimeout; 0: force at once).
	guestWait time.Duration
}

// Open connects and logs in. Credentials come from cfg.Username/Password, or else from the
// URL's user info. Open fails fast: an unreachable endpoint wraps model.ErrUnavailable and
// rejected credentials wrap model.ErrUnauthorized.
func Open(ctx context.Context, cfg drivers.Config) (*Conn, error) {
	u, user, err := parseURL(cfg)
	if err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	idle, err := keepAliveOption(cfg.Options)
	if err != nil {
		return nil, err
	}
	page, wait, resume, err := watchOptions(cfg.Options)
	if err != nil {
		return nil, err
	}
	if resume < 0 {
		resume = wait + timeout
	}
	guestWait, err := shutdownTimeoutOption(cfg.Options)
	if err != nil {
		return nil, err
	}

	// Open makes a few calls; bound them together so a black-holed host cannot hang start-up.
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	sc := soap.NewClient(u, cfg.Insecure)
	sc.UserAgent = "cloudbroker"
	// govmomi keeps net/http's 2 idle connections per host: under the provider's concurrent
	// tasks every call past the second closed its connection and the next one handshook
	// TLS again (a third of the CPU under load). Keep one per concurrent call.
	sc.DefaultTransport().MaxIdleConnsPerHost = cfg.IdleConnsPerHost()
	client, err := vim25.NewClient(octx, sc)
	if err != nil {
		return nil, openErr(err, u)
	}
	s := &session{soap: sc, manager: *client.ServiceContent.SessionManager, user: user, timeout: timeout}
	if err := s.login(octx); err != nil {
		return nil, openErr(err, u)
	}
	c := &Conn{provider: cfg.Name, client: client, sess: s, root: client.ServiceContent.RootFolder, watchPage: page, watchWait: wait,
		watchResume: resume, guestWait: guestWait}
	client.RoundTripper = s
	if idle > 0 {
		c.ka = keepalive.NewHandlerSOAP(s, idle, c.keepAlive)
		client.RoundTripper = c.ka
		c.ka.Start()
	}

	if dc := cfg.Options[OptDatacenter]; dc != "" {
		ref, err := findDatacenter(octx, client, dc)
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		c.root = ref
	}
	return c, nil
}

// parseURL accepts "host", "host:port" or a full https://host/sdk URL; cfg credentials win over
// the URL's, which are removed so they never show up in error messages.
func parseURL(cfg drivers.Config) (*url.URL, *url.Userinfo, error) {
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, nil, model.Errorf(model.ErrInvalid, "vcenter %q: empty URL", cfg.Name)
	}
	u, err := soap.ParseURL(cfg.URL)
	if err != nil || u == nil || u.Host == "" {
		return nil, nil, model.Errorf(model.ErrInvalid, "vcenter %q: bad URL %q", cfg.Name, redact(cfg.URL))
	}
	user := u.User
	u.User = nil
	if cfg.Username != "" {
		user = url.UserPassword(cfg.Username, cfg.Password)
	}
	if user == nil || user.Username() == "" {
		return nil, nil, model.Errorf(model.ErrUnauthorized, "vcenter %q: no username in config or URL", cfg.Name)
	}
	return u, user, nil
}

func keepAliveOption(opts map[string]string) (time.Duration, error) {
	v, ok := opts[OptKeepAlive]
	if !ok || v == "" {
		return DefaultKeepAlive, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, model.Errorf(model.ErrInvalid, "vcenter option %s=%q: want a duration like 5m or 0", OptKeepAlive, v)
	}
	return d, nil
}

func findDatacenter(ctx context.Context, client *vim25.Client, name string) (types.ManagedObjectReference, error) {
	dc, err := find.NewFinder(client, false).Datacenter(ctx, name)
	if err != nil {
		if _, ok := err.(*find.NotFoundError); ok {
			return types.ManagedObjectReference{}, model.Errorf(model.ErrNotFound, "vcenter: datacenter %q", name)
		}
		return types.ManagedObjectReference{}, wrapErr(err, "find datacenter %q", name)
	}
	return dc.Reference(), nil
}

// keepAlive is the idle-time call; it goes through the session so an expired session is
// re-established here rather than on the next user request. Errors are swallowed because
// returning one would stop the keepalive loop for good.
func (c *Conn) keepAlive() error {
	if c.sess.closed.Load() {
		return errClosed
	}
	_, _ = methods.GetCurrentTime(context.Background(), c.sess)
	return nil
}

// Ping implements drivers.Conn with the cheapest authenticated call, so it also re-establishes
// a dropped session.
func (c *Conn) Ping(ctx context.Context) error {
	if _, err := methods.GetCurrentTime(ctx, c.client); err != nil {
		return wrapReachErr(err, "ping")
	}
	return nil
}

// Close logs the session out; every later call fails. Closing twice is a no-op.
func (c *Conn) Close() error {
	if !c.sess.closed.CompareAndSwap(false, true) {
		return nil
	}
	if c.ka != nil {
		c.ka.Stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.sess.timeout)
	defer cancel()
	err := c.sess.logout(ctx)
	c.sess.soap.CloseIdleConnections()
	if err != nil && !isNotAuthenticated(err) { // an expired session has nothing to log out
		return wrapErr(err, "logout")
	}
	return nil
}

func openErr(err error, u *url.URL) error {
	return wrapReachErr(err, "open %s", u.Redacted())
}

func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "<unparsable>"
}

// vmRef builds a VirtualMachine reference from a native id ("vm-42").
func vmRef(id string) types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VirtualMachine", Value: id}
}

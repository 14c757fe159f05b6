package kvm

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.Conn = (*Conn)(nil)

// Conn is one provider's connection to a libvirt daemon; safe for concurrent use (go-libvirt
// multiplexes calls over one socket by serial number). A dropped connection is redialed lazily:
// the next call that finds it gone (libvirt.Disconnected closed, or a transport error on the last
// call) dials again, bounded by the per-call timeout.
type Conn struct {
	set settings

	mu     sync.Mutex // guards link and closed; held while redialing so only one caller dials
	link   *link
	closed bool

	// host is the daemon's hostname once read (hostname): every VM of the connection is on it.
	hostMu sync.Mutex
	host   string

	// dropEvent, set only by tests, makes Watch ignore the lifecycle events it matches, as if
	// the daemon had never sent them.
	dropEvent func(libvirt.DomainEventLifecycleMsg) bool
}

// link is one live socket: the RPC client and the dialer that can close its net.Conn.
type link struct {
	lv *libvirt.Libvirt
	d  *dialer
}

// Ping checks the daemon answers (redialing if the connection had dropped).
func (c *Conn) Ping(ctx context.Context) error {
	return c.run(ctx, "ping", func(l *libvirt.Libvirt) error {
		_, err := l.ConnectGetLibVersion()
		return err
	})
}

// Close ends the connection; every later call fails with model.ErrUnavailable.
func (c *Conn) Close() error {
	c.mu.Lock()
	lk := c.link
	c.link, c.closed = nil, true
	c.mu.Unlock()
	if lk == nil {
		return nil
	}
	// Disconnect says goodbye (ConnectClose) so the daemon frees the connection's state, e.g. its
	// copy of a test driver node file. Bounded: a wedged daemon would never answer.
	done := make(chan error, 1)
	go func() { done <- lk.lv.Disconnect() }()
	select {
	case <-done:
	case <-time.After(min(c.set.timeout, 5*time.Second)):
	}
	lk.d.abort()
	return nil
}

// run calls fn with a live client, bounded by ctx and the per-call timeout.
func (c *Conn) run(ctx context.Context, what string, fn func(*libvirt.Libvirt) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.set.timeout)
	defer cancel()
	return c.runLong(ctx, what, fn)
}

// runLong is run without the per-call cap, for work whose length grows with data (volume
// copies): only ctx bounds it.
//
// go-libvirt calls take no context, so fn runs in its own goroutine and runLong stops waiting
// when ctx ends, returning model.ErrTimeout. The call itself goes on until libvirtd answers or
// the socket drops, and the daemon may still complete it, as ErrTimeout promises. The shared
// socket is not torn down for one slow call: other callers use it, and closing it would not stop
// the daemon's work anyway.
func (c *Conn) runLong(ctx context.Context, what string, fn func(*libvirt.Libvirt) error) error {
	lk, err := c.client(ctx)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- fn(lk.lv) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		return model.Errorf(model.ErrTimeout, "kvm %s: %s: no answer from %s: %v", c.set.provider, what, c.set.uri, ctx.Err())
	}
	if err != nil && isTransport(err) {
		c.drop(lk)
	}
	return c.wrap(err, what)
}

// client returns the live link, dialing when there is none or it has dropped.
func (c *Conn) client(ctx context.Context) (*link, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, model.Errorf(model.ErrUnavailable, "kvm %s: connection closed", c.set.provider)
	}
	if c.link != nil && c.link.lv.IsConnected() {
		return c.link, nil
	}
	lk, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.link = lk
	return lk, nil
}

// drop forgets lk after a transport error so the next call redials, even in the short window
// before go-libvirt closes its Disconnected channel.
func (c *Conn) drop(lk *link) {
	c.mu.Lock()
	if c.link == lk {
		c.link = nil
	}
	c.mu.Unlock()
	lk.d.abort()
}

// connect dials and opens the URI on the daemon. The dial is bounded by the dialer's timeout;
// the handshake (auth list, ConnectOpen) by closing the socket when the deadline passes.
func (c *Conn) connect(ctx context.Context) (*link, error) {
	ctx, cancel := context.WithTimeout(ctx, c.set.timeout)
	defer cancel()
	d := &dialer{network: c.set.network, address: c.set.address, timeout: c.set.timeout}
	if dl, ok := ctx.Deadline(); ok {
		d.timeout = time.Until(dl)
	}
	lv := libvirt.NewWithDialer(d)
	done := make(chan error, 1)
	go func() { done <- lv.ConnectToURI(c.set.remoteURI) }()
	select {
	case err := <-done:
		if err != nil {
			d.abort()
			// The daemon answered but refused the URI (bad node file, auth): say so; anything
			// else (dial, socket) means it cannot be reached.
			sentinel := model.ErrUnavailable
			var le libvirt.Error
			if errors.As(err, &le) && sentinels[libvirt.ErrorNumber(le.Code)] != nil {
				sentinel = sentinels[libvirt.ErrorNumber(le.Code)]
			}
			return nil, model.Errorf(sentinel, "kvm %s: connect to %s over %s %s: %v", c.set.provider, c.set.remoteURI, c.set.network, c.set.address, err)
		}
		return &link{lv: lv, d: d}, nil
	case <-ctx.Done():
		d.abort()
		return nil, model.Errorf(model.ErrUnavailable, "kvm %s: connect to %s over %s %s: no answer: %v", c.set.provider, c.set.remoteURI, c.set.network, c.set.address, ctx.Err())
	}
}

// dialer is go-libvirt's socket.Dialer, keeping the net.Conn so the driver can close it: the
// only way to unblock a go-libvirt call that waits on a dead or wedged peer.
type dialer struct {
	network, address string
	timeout          time.Duration

	mu      sync.Mutex
	conn    net.Conn
	aborted bool
}

var errAborted = errors.New("connection attempt abandoned")

func (d *dialer) Dial() (net.Conn, error) {
	nc, err := net.DialTimeout(d.network, d.address, d.timeout)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.aborted {
		nc.Close()
		return nil, errAborted
	}
	d.conn = nc
	return nc, nil
}

// abort closes the socket (now or, if a dial is still under way, as soon as it connects).
func (d *dialer) abort() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.aborted = true
	if d.conn != nil {
		d.conn.Close()
	}
}

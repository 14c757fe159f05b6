package kvm

import (
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// Option keys a provider's configuration may set in drivers.Config.Options.
const (
	// OptSocket overrides the unix socket path (default /var/run/libvirt/libvirt-sock).
	OptSocket = "socket"
	// OptImagesPool names the storage pool ListImages reads (default "images").
	OptImagesPool = "images_pool"
	// OptDisksPool names the storage pool the root disks of created VMs (drivers.Creator) are
	// copied into (default "default", libvirt's usual pool for VM disks). It should not be the
	// images pool: every volume there is listed as an image.
	OptDisksPool = "disks_pool"
	// OptShutdownTimeout (a Go duration, default drivers.DefaultGuestTimeout) bounds how long a
	// grace stop (ACPI shutdown) and a guest reboot wait for the guest to act before the driver
	// forces them (destroy, reset). "0" forces at once without asking the guest.
	OptShutdownTimeout = "shutdown_timeout"
	// OptWatchResync (a Go duration, default 1m) is the interval between Watch's full re-lists,
	// which catch what lifecycle events miss; "0" turns them off (events only).
	OptWatchResync = "watch_resync"
)

const (
	// DefaultURI is used when Config.URL is empty.
	DefaultURI = "qemu:///system"
	// DefaultSocket is libvirtd's system socket.
	DefaultSocket = "/var/run/libvirt/libvirt-sock"
	// DefaultTimeout bounds each libvirt call (and the dial) when Config.Timeout is zero.
	DefaultTimeout = 30 * time.Second
	// DefaultImagesPool is the pool ListImages reads when OptImagesPool is unset.
	DefaultImagesPool = "images"
	// DefaultDisksPool is the pool created VMs' disks go into when OptDisksPool is unset.
	DefaultDisksPool = "default"
	defaultTCPPort   = "16509"
)

// settings is a validated drivers.Config.
type settings struct {
	provider   string
	uri        string             // as configured, for messages
	remoteURI  libvirt.ConnectURI // what ConnectOpen asks the daemon for
	network    string             // "unix" or "tcp"
	address    string
	timeout    time.Duration
	imagesPool string
	disksPool  string
	stopGrace  time.Duration
	// watchResync is the interval between Watch's re-lists; 0: none.
	watchResync time.Duration
	// managementIP is the host the URI names (a tcp URI), 127.0.0.1 for a local socket.
	managementIP string
}

var knownOptions = []string{OptSocket, OptImagesPool, OptDisksPool, OptShutdownTimeout, OptWatchResync}

// parseConfig maps a libvirt URI onto a transport. Accepted: qemu:///system, test:///default,
// test:///abs/node.xml, <driver>+unix:///...?socket=..., <driver>+tcp://host[:port]/... .
// TLS and ssh transports are refused: go-libvirt would need keys and known_hosts this driver
// has no configuration for; forward the socket (ssh -L) and use +unix or +tcp instead.
func parseConfig(cfg drivers.Config) (settings, error) {
	s := settings{provider: cfg.Name, uri: cfg.URL, timeout: cfg.Timeout, imagesPool: DefaultImagesPool, disksPool: DefaultDisksPool, watchResync: DefaultWatchResync, stopGrace: drivers.DefaultGuestTimeout}
	if s.uri == "" {
		s.uri = DefaultURI
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	for k := range cfg.Options {
		if !slices.Contains(knownOptions, k) {
			return s, model.Errorf(model.ErrInvalid, "kvm %s: unknown option %q (known: %s)", cfg.Name, k, strings.Join(knownOptions, ", "))
		}
	}
	u, err := url.Parse(s.uri)
	if err != nil || u.Scheme == "" {
		return s, model.Errorf(model.ErrInvalid, "kvm %s: URL %q is not a libvirt URI such as qemu:///system", cfg.Name, s.uri)
	}
	s.remoteURI = libvirt.RemoteURI(u)
	driver, transport, _ := strings.Cut(u.Scheme, "+")
	if transport == "" && u.Host != "" {
		transport = "tls" // libvirt's default for a URI naming a host
	}
	switch transport {
	case "", "unix":
		s.network, s.address, s.managementIP = "unix", DefaultSocket, "127.0.0.1"
		if p := u.Query().Get("socket"); p != "" {
			s.address = p
		}
	case "tcp":
		if u.Hostname() == "" {
			return s, model.Errorf(model.ErrInvalid, "kvm %s: URL %q names no host", cfg.Name, s.uri)
		}
		port := u.Port()
		if port == "" {
			port = defaultTCPPort
		}
		s.network, s.address, s.managementIP = "tcp", net.JoinHostPort(u.Hostname(), port), u.Hostname()
	default:
		return s, model.Errorf(model.ErrInvalid, "kvm %s: transport %q of %q is not supported (use %s:///..., %s+unix or %s+tcp)", cfg.Name, transport, s.uri, driver, driver, driver)
	}
	if driver == "test" && u.Path != "/default" && !strings.HasPrefix(u.Path, "/") {
		return s, model.Errorf(model.ErrInvalid, "kvm %s: test URI %q needs an absolute node file path", cfg.Name, s.uri)
	}
	if p := cfg.Options[OptSocket]; p != "" {
		if s.network != "unix" {
			return s, model.Errorf(model.ErrInvalid, "kvm %s: option %s set for a %s URI", cfg.Name, OptSocket, transport)
		}
		s.address = p
	}
	if p := cfg.Options[OptImagesPool]; p != "" {
		s.imagesPool = p
	}
	if p := cfg.Options[OptDisksPool]; p != "" {
		s.disksPool = p
	}
	if v := cfg.Options[OptShutdownTimeout]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return s, model.Errorf(model.ErrInvalid, "kvm %s: option %s=%q is not a duration like 30s", cfg.Name, OptShutdownTimeout, v)
		}
		s.stopGrace = d
	}
	if v := cfg.Options[OptWatchResync]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return s, model.Errorf(model.ErrInvalid, "kvm %s: option %s=%q is not a duration like 1m (or 0 for none)", cfg.Name, OptWatchResync, v)
		}
		s.watchResync = d
	}
	return s, nil
}

package config

import (
	"fmt"
	"net/netip"
	"time"
)

// LoginThrottle slows password guessing on the login APIs, per account and per client
// address, across every replica (the counts live in Redis): FreeAttempts logins in a row are
// answered at once; then each next attempt must wait, BaseDelay first, doubled per attempt up
// to MaxDelay; one that comes too early is answered with the dialect's rate-limit error and
// Retry-After and does not count. A successful
// login forgets the count, and so does Window without any attempt.
type LoginThrottle struct {
	// FreeAttempts before delays begin. Default 5; negative disables the throttle.
	FreeAttempts int `yaml:"free_attempts"`
	// BaseDelay is the first delay. Default 1s.
	BaseDelay Duration `yaml:"base_delay"`
	// MaxDelay caps the delay. Default 5m.
	MaxDelay Duration `yaml:"max_delay"`
	// Window forgets attempts after this long without one. Default 15m.
	Window Duration `yaml:"window"`
}

func (l *LoginThrottle) setDefaults() {
	if l.FreeAttempts == 0 {
		l.FreeAttempts = 5
	}
	for _, d := range []struct {
		p *Duration
		v time.Duration
	}{{&l.BaseDelay, time.Second}, {&l.MaxDelay, 5 * time.Minute}, {&l.Window, 15 * time.Minute}} {
		if *d.p == 0 {
			*d.p = Duration(d.v)
		}
	}
}

// Enabled reports whether logins are throttled.
func (l LoginThrottle) Enabled() bool { return l.FreeAttempts > 0 }

func (l LoginThrottle) validate(bad func(field, format string, args ...any)) {
	if !l.Enabled() {
		return
	}
	if l.BaseDelay.D() < time.Millisecond || l.MaxDelay.D() < l.BaseDelay.D() {
		bad("auth.login_throttle", "base_delay (%s) must be at least 1ms and max_delay (%s) at least base_delay", l.BaseDelay.D(), l.MaxDelay.D())
	}
	if l.Window.D() < time.Second {
		bad("auth.login_throttle.window", "%s must be at least 1s", l.Window.D())
	}
}

// validateTrustedProxies checks http.trusted_proxies: addresses or CIDR prefixes.
func validateTrustedProxies(proxies []string, bad func(field, format string, args ...any)) {
	for i, p := range proxies {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			bad(fmt.Sprintf("http.trusted_proxies[%d]", i), "%q is neither an IP address nor a CIDR prefix", p)
		}
	}
}

package config

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// ZStack configures the ZStack dialect (/zstack/v1/...): who may log in, how long sessions
// last, how dates are rendered, and where job results may be POSTed.
type ZStack struct {
	// SessionTimeout is how long a session lives after login. Default 2h, ZStack's own default.
	SessionTimeout Duration `yaml:"session_timeout"`
	// TimeZone renders dates ("Nov 14, 2017 2:20:57 PM", which carries no zone). Default
	// Asia/Shanghai: the public ZStack Go SDK parses such dates as UTC+8.
	TimeZone string `yaml:"time_zone"`
	// PublicURL is the base of the api-job locations handed out ("https://broker.example");
	// empty means the request's own scheme and Host.
	PublicURL string `yaml:"public_url"`
	// Accounts may log in; each sees only its providers.
	Accounts []ZStackAccount `yaml:"accounts"`
	Webhooks ZStackWebhooks  `yaml:"webhooks"`
}

// ZStackAccount is a tenant: logInByAccount with its name and password, logInByUser with one of
// its users. Give the password as its sha512 hex (password_sha512, what clients send, so the
// file holds no plain password), or in plain (password), which is hashed at load and dropped.
type ZStackAccount struct {
	Name           string `yaml:"name"`
	PasswordSHA512 string `yaml:"password_sha512"`
	Password       string `yaml:"password"`
	// Providers are what the account and its users see.
	Providers []string `yaml:"providers"`
	// AllProviders lets the account see every provider (never with providers; one is needed).
	AllProviders bool         `yaml:"all_providers"`
	Users        []ZStackUser `yaml:"users"`
	// Rate overrides http.rate_limit for the account's sessions; each user has a bucket of
	// its own at the same rate.
	Rate *RateLimit `yaml:"rate"`
}

// ZStackUser is a user of an account; it sees what its account sees.
type ZStackUser struct {
	Name           string `yaml:"name"`
	PasswordSHA512 string `yaml:"password_sha512"`
	Password       string `yaml:"password"`
}

// ZStackWebhooks tunes X-Web-Hook callbacks. A callback goes only to a host on AllowedHosts:
// without an entry, X-Web-Hook is refused (400), so the broker cannot be made to POST anywhere.
type ZStackWebhooks struct {
	// AllowedHosts are "host" (any port) or "host:port" entries, matched exactly
	// (case-insensitive); "*.example.com" allows the subdomains of example.com.
	AllowedHosts []string `yaml:"allowed_hosts"`
	// MaxRetry is how often a failed delivery is retried. Default 15, as ZStack does.
	MaxRetry *int `yaml:"max_retry"`
	// RetryDelay is the first retry's delay, doubled on each retry up to MaxDelay. Default 2s.
	// asynq schedules retries to the second, so a delay under 1s means "within a second".
	RetryDelay Duration `yaml:"retry_delay"`
	// MaxDelay caps the retry delay. Default 1m.
	MaxDelay Duration `yaml:"max_delay"`
	// Timeout bounds one POST. Default 10s.
	Timeout Duration `yaml:"timeout"`
	// SweepInterval is how often a broker looks for finished jobs whose callback is still
	// pending (one whose completion message was missed). Default 10s.
	SweepInterval Duration `yaml:"sweep_interval"`
	// PollInterval is how often an idle delivery worker looks for work. Default 100ms.
	PollInterval Duration `yaml:"poll_interval"`
	// Concurrency is the number of deliveries run at once per broker. Default 10.
	Concurrency int `yaml:"concurrency"`
}

// HashPassword is the sha512 hex of a password, the form ZStack clients send.
func HashPassword(plain string) string {
	sum := sha512.Sum512([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// setDefaults fills defaults and hashes plain passwords, dropping them from memory.
func (z *ZStack) setDefaults() {
	def := func(d *Duration, v time.Duration) {
		if *d == 0 {
			*d = Duration(v)
		}
	}
	def(&z.SessionTimeout, 2*time.Hour)
	if z.TimeZone == "" {
		z.TimeZone = "Asia/Shanghai"
	}
	w := &z.Webhooks
	if w.MaxRetry == nil {
		n := 15
		w.MaxRetry = &n
	}
	def(&w.RetryDelay, 2*time.Second)
	def(&w.MaxDelay, time.Minute)
	def(&w.Timeout, 10*time.Second)
	def(&w.SweepInterval, 10*time.Second)
	def(&w.PollInterval, 100*time.Millisecond)
	if w.Concurrency == 0 {
		w.Concurrency = 10
	}
	hash := func(plain, hashed *string) {
		if *plain != "" && *hashed == "" {
			*hashed, *plain = HashPassword(*plain), ""
		}
		*hashed = strings.ToLower(*hashed)
	}
	for i := range z.Accounts {
		a := &z.Accounts[i]
		hash(&a.Password, &a.PasswordSHA512)
		for j := range a.Users {
			hash(&a.Users[j].Password, &a.Users[j].PasswordSHA512)
		}
	}
}

var sha512Hex = regexp.MustCompile(`^[0-9a-f]{128}$`)

// validate reports every problem of the zstack section; providers are the configured names.
func (z *ZStack) validate(providers map[string]bool) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: zstack.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if _, err := time.LoadLocation(z.TimeZone); err != nil {
		bad("time_zone", "%q: %v", z.TimeZone, err)
	}
	if z.PublicURL != "" {
		if u, err := url.Parse(z.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("public_url", "%q must be an http(s) URL such as https://broker.example", z.PublicURL)
		}
	}
	if z.SessionTimeout.D() < time.Second {
		bad("session_timeout", "%s must be at least 1s", z.SessionTimeout.D())
	}
	password := func(field, plain, hashed string) {
		switch {
		case plain != "": // SetDefaults drops a plain password once hashed: both were given
			bad(field, "set password or password_sha512, not both")
		case hashed == "":
			bad(field, "password_sha512 (or password) is required")
		case !sha512Hex.MatchString(hashed):
			bad(field+".password_sha512", "must be 128 hex characters (sha512 of the password)")
		}
	}
	accounts := map[string]bool{}
	for i, a := range z.Accounts {
		f := fmt.Sprintf("accounts[%d]", i)
		if !namePattern.MatchString(a.Name) {
			bad(f+".name", "%q must match %s", a.Name, namePattern)
		}
		if accounts[a.Name] {
			bad(f+".name", "duplicate account %q", a.Name)
		}
		accounts[a.Name] = true
		password(f, a.Password, a.PasswordSHA512)
		scopeProblem(bad, f, len(a.Providers), a.AllProviders)
		for _, p := range a.Providers {
			if !providers[p] {
				bad(f+".providers", "unknown provider %q", p)
			}
		}
		users := map[string]bool{}
		for j, u := range a.Users {
			uf := fmt.Sprintf("%s.users[%d]", f, j)
			if !namePattern.MatchString(u.Name) {
				bad(uf+".name", "%q must match %s", u.Name, namePattern)
			}
			if users[u.Name] {
				bad(uf+".name", "duplicate user %q in account %q", u.Name, a.Name)
			}
			users[u.Name] = true
			password(uf, u.Password, u.PasswordSHA512)
		}
	}
	w := z.Webhooks
	for i, h := range w.AllowedHosts {
		if !validHostEntry(h) {
			bad(fmt.Sprintf("webhooks.allowed_hosts[%d]", i), "%q must be a host name, an IP, host:port or *.domain", h)
		}
	}
	if *w.MaxRetry < 0 {
		bad("webhooks.max_retry", "must be >= 0")
	}
	if w.MaxDelay.D() < w.RetryDelay.D() {
		bad("webhooks.max_delay", "%s is shorter than webhooks.retry_delay %s", w.MaxDelay.D(), w.RetryDelay.D())
	}
	if w.Concurrency < 0 {
		bad("webhooks.concurrency", "must be > 0")
	}
	return errs
}

var hostLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// validHostEntry accepts "host", "host:port", "[v6]:port" and "*.domain".
func validHostEntry(h string) bool {
	host := h
	if hh, port, err := net.SplitHostPort(h); err == nil {
		if _, perr := fmt.Sscanf(port, "%d", new(int)); perr != nil {
			return false
		}
		host = hh
	}
	if net.ParseIP(host) != nil {
		return true
	}
	host = strings.TrimPrefix(host, "*.")
	if host == "" || len(host) > 253 {
		return false
	}
	for _, l := range strings.Split(host, ".") {
		if !hostLabel.MatchString(l) {
			return false
		}
	}
	return true
}

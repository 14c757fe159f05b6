package catalog

import (
	"crypto/tls"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// Option keys a provider's configuration may set in drivers.Config.Options.
const (
	// OptRegion is the regionId sent to the catalog (required: the call requires it).
	OptRegion = "region"
	// OptToken is the Bearer token, for configurations that keep it with the options. Prefer
	// drivers.Config.Password: the environment can override that one
	// (BROKER_PROVIDER_<NAME>_PASSWORD). Setting both to different values is an error.
	OptToken = "token"
	// OptPageSize is the limit asked per call, 1..100 (DiDi's bound). Default 100.
	OptPageSize = "page_size"
)

const (
	// ListPath is the catalog call, appended to Config.URL unless the URL already ends with it.
	ListPath = "/dicloud/i/storage/cimg/list"
	// DefaultTimeout bounds each HTTP call when Config.Timeout is zero.
	DefaultTimeout = 30 * time.Second
	// DefaultPageSize and MaxPageSize bound OptPageSize.
	DefaultPageSize = 100
	MaxPageSize     = 100
	// maxAnswerBytes caps one answer read into memory: a 100-item page is a few tens of KiB.
	maxAnswerBytes = 16 << 20
)

var knownOptions = []string{OptRegion, OptToken, OptPageSize}

// settings is a validated drivers.Config. It holds the token: never print it.
type settings struct {
	provider string
	endpoint string // full URL of the list call
	token    string
	region   string
	pageSize int
	timeout  time.Duration
	insecure bool
	// idleConns is how many idle connections the client keeps (drivers.Config.IdleConnsPerHost).
	idleConns int
}

func parseConfig(cfg drivers.Config) (settings, error) {
	s := settings{provider: cfg.Name, region: cfg.Options[OptRegion], timeout: cfg.Timeout,
		pageSize: DefaultPageSize, insecure: cfg.Insecure, idleConns: cfg.IdleConnsPerHost()}
	bad := func(format string, args ...any) (settings, error) {
		return s, model.Errorf(model.ErrInvalid, "catalog %s: "+format, append([]any{cfg.Name}, args...)...)
	}
	for k := range cfg.Options {
		if !slices.Contains(knownOptions, k) {
			return bad("unknown option %q (known: %s)", k, strings.Join(knownOptions, ", "))
		}
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("URL %q is not an http(s) base URL such as https://catalog.example", cfg.URL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return bad("URL %q must not carry a query, fragment or credentials (put the token in password)", u.Redacted())
	}
	if !strings.HasSuffix(u.Path, ListPath) {
		u.Path = strings.TrimSuffix(u.Path, "/") + ListPath
	}
	s.endpoint = u.String()
	switch tok, pw := cfg.Options[OptToken], cfg.Password; {
	case tok != "" && pw != "" && tok != pw:
		return bad("both password and options.%s are set, to different tokens: set one", OptToken)
	case tok != "":
		s.token = tok
	default:
		s.token = pw
	}
	if s.token == "" {
		return bad("no token: set password (or options.%s) to a Bearer token of the catalog", OptToken)
	}
	if strings.ContainsAny(s.token, " \t\r\n") {
		return bad("the token contains white space")
	}
	if s.region == "" {
		return bad("options.%s is required: the regionId to list", OptRegion)
	}
	if v := cfg.Options[OptPageSize]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			return bad("options.%s=%q must be a number from 1 to %d", OptPageSize, v, MaxPageSize)
		}
		s.pageSize = n
	}
	return s, nil
}

func newHTTPClient(s settings) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// One idle connection per concurrent call: net/http's default of 2 per host would close
	// the rest after each call and handshake TLS again on the next.
	tr.MaxIdleConnsPerHost = s.idleConns
	if s.insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the operator asked for it
	}
	// Timeout bounds the whole call, body included; redirects are refused so the token is never
	// sent to another host.
	return &http.Client{Transport: tr, Timeout: s.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

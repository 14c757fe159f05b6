package config

import (
	"net/url"
)

// validateOps checks the operator endpoints' settings (/metrics, the queue UI).
func validateOps(c *Config, bad func(field, format string, args ...any)) {
	if t := c.HTTP.MetricsToken; t != "" && len(t) < 16 {
		bad("http.metrics_token", "must be at least 16 characters (or empty: /metrics open)")
	}
	if o := c.HTTP.PublicOrigin; o != "" {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			bad("http.public_origin", "%q is not an origin: write scheme://host[:port], as browsers send it in Origin (e.g. https://broker.example)", o)
		}
	}
}

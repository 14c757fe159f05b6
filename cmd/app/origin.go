package app

import (
	"net/http"
	"net/url"
	"strings"
)

// sameOrigin refuses cross-site writes to the queue UI, which a browser logged in with Basic
// would otherwise make for any page that posts a form to it (pause a queue, delete tasks). A
// write (any method but GET and HEAD) must come from the broker's own origin: its Origin
// header, or without one its Referer, names the request's own Host or http.public_origin. A
// write with neither is allowed only with a Bearer token, which browsers never add on their
// own. It returns why a request is refused, or "".
func sameOrigin(r *http.Request, basic bool, publicOrigin string) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return ""
	}
	from, header := r.Header.Get("Origin"), "Origin"
	if from == "" {
		from, header = r.Header.Get("Referer"), "Referer"
	}
	if from == "" {
		if basic {
			return "a write to the queue UI with Basic credentials must come from the UI's own page (Origin or Referer of this host); a script may send the token as Bearer instead"
		}
		return ""
	}
	u, err := url.Parse(from)
	if err != nil || u.Host == "" {
		return "the queue UI refuses writes from " + header + " " + quote(from) + ": not this broker's origin"
	}
	if strings.EqualFold(u.Host, r.Host) {
		return ""
	}
	if p, err := url.Parse(publicOrigin); publicOrigin != "" && err == nil &&
		strings.EqualFold(u.Scheme, p.Scheme) && strings.EqualFold(u.Host, p.Host) {
		return ""
	}
	return "the queue UI refuses writes from " + header + " " + quote(u.Scheme+"://"+u.Host) + ": only its own origin may write (set http.public_origin if a proxy gives the broker another address)"
}

// quote bounds and quotes a header value for an error message.
func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return `"` + s + `"`
}

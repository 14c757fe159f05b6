package zstack

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"cloudbroker/broker/model"
)

// hostAllowList is zstack.webhooks.allowed_hosts: "host" (any port), "host:port" or "*.domain"
// (its subdomains). Nothing else may receive a callback, so X-Web-Hook cannot turn the broker
// into a client of arbitrary (internal) addresses.
type hostAllowList []string

// Allows returns nil for a URL a callback may be POSTed to, else an error wrapping
// model.ErrInvalid that says why.
func (a hostAllowList) Allows(u *url.URL) error {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return model.Errorf(model.ErrInvalid, "X-Web-Hook %q must be an http or https URL", shorten(u.String()))
	case u.Host == "" || u.Hostname() == "":
		return model.Errorf(model.ErrInvalid, "X-Web-Hook %q has no host", shorten(u.String()))
	case u.User != nil:
		return model.Errorf(model.ErrInvalid, "X-Web-Hook must not carry credentials")
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	for _, e := range a {
		e = strings.ToLower(e)
		eh, ep, err := net.SplitHostPort(e)
		if err != nil {
			eh, ep = strings.Trim(e, "[]"), ""
		}
		switch {
		case ep != "" && ep != port:
		case strings.HasPrefix(eh, "*.") && strings.HasSuffix(host, eh[1:]) && len(host) > len(eh)-1:
			return nil
		case eh == host:
			return nil
		}
	}
	if len(a) == 0 {
		return model.Errorf(model.ErrInvalid, "X-Web-Hook is not enabled on this broker (zstack.webhooks.allowed_hosts is empty)")
	}
	return model.Errorf(model.ErrInvalid, "X-Web-Hook host %q is not in zstack.webhooks.allowed_hosts", net.JoinHostPort(host, port))
}

// webHook validates an X-Web-Hook header value.
func (s *Server) webHook(h string) (string, error) {
	if s.o.Hooks == nil {
		return "", model.Errorf(model.ErrInvalid, "X-Web-Hook is not enabled on this broker")
	}
	u, err := url.Parse(strings.TrimSpace(h))
	if err != nil {
		return "", model.Errorf(model.ErrInvalid, "X-Web-Hook %q is not a URL: %v", shorten(h), err)
	}
	if err := s.allow.Allows(u); err != nil {
		return "", err
	}
	return u.String(), nil
}

// jobUUID validates X-Job-UUID: a version 4 (random) UUID without dashes, as the manual
// requires; without the header, the job gets a fresh one.
func jobUUID(h string) (string, error) {
	if h == "" {
		return newUUID(), nil
	}
	id := strings.ToLower(strings.TrimSpace(h))
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		return "", model.Errorf(model.ErrInvalid, "invalid header X-Job-UUID %q: it must be a UUID with '-' stripped (32 hex characters)", shorten(h))
	}
	if id[12] != '4' || !strings.ContainsRune("89ab", rune(id[16])) {
		return "", model.Errorf(model.ErrInvalid, "invalid header X-Job-UUID %q: it must be a version 4 (random) UUID", h)
	}
	return id, nil
}

// AllowHook is the allow-list as the webhook delivery worker checks it before each POST.
func (s *Server) AllowHook(u *url.URL) error {
	if err := s.allow.Allows(u); err != nil {
		return fmt.Errorf("allow-list: %w", err)
	}
	return nil
}

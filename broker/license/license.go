// Package license verifies, installs and reads the broker's licence.
package license

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"cloudbroker/broker/model"
)

// A licence is a signed document: the base64 of
//
//	{"document": {"user": ..., "licenseType": ..., "issuedDate": <RFC 3339>, ...},
//	 "signature": "<base64 ed25519 signature of the document's bytes exactly as they appear>"}
//
// verified against the public keys in the configuration (license.public_keys). The document's
// bytes are signed as they are, so no canonical JSON is needed: the issuer signs what it
// writes. Without an installed licence the broker runs under the free licence, which limits
// nothing.

// Free is the type of the licence in force when none is installed.
const Free = "Free"

// Document is what a licence grants.
type Document struct {
	User       string    `json:"user"`
	Type       string    `json:"licenseType"`
	IssuedDate time.Time `json:"issuedDate"`
	// ExpiredDate is when the licence ends; zero means never.
	ExpiredDate time.Time `json:"expiredDate,omitzero"`
	// HostNum and CPUNum bound the hosts and CPU sockets licensed; 0 means unlimited.
	HostNum int `json:"hostNum,omitempty"`
	CPUNum  int `json:"cpuNum,omitempty"`
	// Capabilities switches features off: a capability set to false is off whatever the
	// providers can do; true (or absent) leaves it to the providers.
	Capabilities map[string]bool `json:"capabilities,omitempty"`
}

// License is the licence in force.
type License struct {
	Document
	// Installed is false for the free licence.
	Installed bool
	// UploadDate and Node say when and through which node it was installed.
	UploadDate time.Time
	Node       string
}

// Expired reports whether the licence has ended at now.
func (l License) Expired(now time.Time) bool {
	return !l.ExpiredDate.IsZero() && now.After(l.ExpiredDate)
}

// Allows reports whether the licence leaves a capability on.
func (l License) Allows(capability string) bool {
	on, listed := l.Capabilities[capability]
	return !listed || on
}

// Record is what the store keeps: the licence as uploaded.
type Record struct {
	Text       string    `json:"license"`
	UploadDate time.Time `json:"uploadDate"`
	Node       string    `json:"managementNodeUuid"` // the stored field keeps its first name
}

// Store keeps the installed licence where every replica reads it (the queue package's Redis store).
type Store interface {
	// Installed returns the installed licence; ok is false when none is.
	Installed(ctx context.Context) (lic Record, ok bool, err error)
	Install(ctx context.Context, lic Record) error
}

// Deps are the service's dependencies besides its store.
type Deps struct {
	// Keys verify licences (none: every licence is refused and the free licence stays in
	// force).
	Keys []ed25519.PublicKey
	Log  *slog.Logger
}

// Service verifies, installs and reads the broker's licence.
type Service struct {
	store Store
	keys  []ed25519.PublicKey
	log   *slog.Logger
	now   func() time.Time
}

// New returns the licence service.
func New(store Store, d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Service{store: store, keys: d.Keys, log: d.Log, now: time.Now}
}

// Install verifies a licence and makes it the one in force on every replica; a refused
// licence changes nothing.
func (l *Service) Install(ctx context.Context, nodeUUID, text string) (License, error) {
	doc, err := l.Parse(text)
	if err != nil {
		return License{}, err
	}
	in := Record{Text: text, UploadDate: l.now(), Node: nodeUUID}
	if err := l.store.Install(ctx, in); err != nil {
		return License{}, err
	}
	return License{Document: doc, Installed: true, UploadDate: in.UploadDate, Node: nodeUUID}, nil
}

// Current is the licence in force: the installed one, or the free licence when none is. An
// installed licence that no longer verifies (its key left the configuration) is logged and
// the free licence answered, so a configuration change cannot take the API down; an expired
// one stays in force, marked expired. Reload reports such a licence as an error.
func (l *Service) Current(ctx context.Context) (License, error) {
	lic, err := l.Reload(ctx)
	var bad *invalidInstalled
	if errors.As(err, &bad) {
		l.log.Warn("the installed licence does not verify; the free licence is in force", "err", err)
		return License{Document: Document{Type: Free}}, nil
	}
	return lic, err
}

// Reload reads the installed licence again and verifies it now. A licence that expired since
// it was installed is still the licence in force, marked expired.
func (l *Service) Reload(ctx context.Context) (License, error) {
	in, ok, err := l.store.Installed(ctx)
	if err != nil {
		return License{}, err
	}
	if !ok {
		return License{Document: Document{Type: Free}}, nil
	}
	doc, err := l.verify(in.Text)
	if err != nil {
		return License{}, &invalidInstalled{err: err, uploaded: in.UploadDate}
	}
	return License{Document: doc, Installed: true, UploadDate: in.UploadDate, Node: in.Node}, nil
}

// invalidInstalled is an installed licence that no longer verifies.
type invalidInstalled struct {
	err      error
	uploaded time.Time
}

func (e *invalidInstalled) Error() string {
	return fmt.Sprintf("the licence installed on %s no longer verifies: %v", e.uploaded.UTC().Format(time.RFC3339), e.err)
}

// Unwrap makes it an ErrUnavailable (the licence in force cannot be read), not the caller's
// invalid request.
func (e *invalidInstalled) Unwrap() error { return model.ErrUnavailable }

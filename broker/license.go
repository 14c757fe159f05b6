package broker

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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

// LicenseFree is the type of the licence in force when none is installed.
const LicenseFree = "Free"

// LicenseDocument is what a licence grants.
type LicenseDocument struct {
	User        string    `json:"user"`
	LicenseType string    `json:"licenseType"`
	IssuedDate  time.Time `json:"issuedDate"`
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
	LicenseDocument
	// Installed is false for the free licence.
	Installed bool
	// UploadDate and ManagementNodeUUID say when and through which node it was installed.
	UploadDate         time.Time
	ManagementNodeUUID string
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

// InstalledLicense is what the store keeps: the licence as uploaded.
type InstalledLicense struct {
	Text               string    `json:"license"`
	UploadDate         time.Time `json:"uploadDate"`
	ManagementNodeUUID string    `json:"managementNodeUuid"`
}

// LicenseStore keeps the installed licence where every replica reads it (queue.Licenses).
type LicenseStore interface {
	// Installed returns the installed licence; ok is false when none is.
	Installed(ctx context.Context) (lic InstalledLicense, ok bool, err error)
	Install(ctx context.Context, lic InstalledLicense) error
}

// Licenses verifies, installs and reads the broker's licence.
type Licenses struct {
	store LicenseStore
	keys  []ed25519.PublicKey
	log   *slog.Logger
	now   func() time.Time
}

// NewLicenses returns the licence service; keys verify licences (none: every licence is
// refused and the free licence stays in force).
func NewLicenses(store LicenseStore, keys []ed25519.PublicKey, log *slog.Logger) *Licenses {
	if log == nil {
		log = slog.Default()
	}
	return &Licenses{store: store, keys: keys, log: log, now: time.Now}
}

// issueSkew tolerates an issuer's clock a little ahead of ours.
const issueSkew = 5 * time.Minute

// Parse verifies a licence (the base64 text as uploaded) for installing now and returns its
// document. Every refusal wraps model.ErrInvalid and says what is wrong.
func (l *Licenses) Parse(text string) (LicenseDocument, error) {
	doc, err := l.verify(text)
	if err != nil {
		return doc, err
	}
	now := l.now()
	if doc.IssuedDate.After(now.Add(issueSkew)) {
		return doc, model.Errorf(model.ErrInvalid, "the licence is issued in the future (%s)", doc.IssuedDate.UTC().Format(time.RFC3339))
	}
	if !doc.ExpiredDate.IsZero() && now.After(doc.ExpiredDate) {
		return doc, model.Errorf(model.ErrInvalid, "the licence expired on %s", doc.ExpiredDate.UTC().Format(time.RFC3339))
	}
	return doc, nil
}

// verify checks a licence's encoding, signature and document, whatever the date.
func (l *Licenses) verify(text string) (LicenseDocument, error) {
	var doc LicenseDocument
	text = strings.NewReplacer("\n", "", "\r", "").Replace(strings.TrimSpace(text)) // licence files are often wrapped
	if text == "" {
		return doc, model.Errorf(model.ErrInvalid, "the licence is empty: give the base64 of a licence file")
	}
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return doc, model.Errorf(model.ErrInvalid, "the licence is not base64: %v", err)
	}
	var env struct {
		Document  json.RawMessage `json:"document"`
		Signature string          `json:"signature"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || len(env.Document) == 0 || env.Signature == "" {
		return doc, model.Errorf(model.ErrInvalid, `the licence is not a signed licence: want the base64 of {"document":{...},"signature":"<base64 ed25519>"}`)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return doc, model.Errorf(model.ErrInvalid, "the licence's signature is not a base64 ed25519 signature (%d bytes)", ed25519.SignatureSize)
	}
	if len(l.keys) == 0 {
		return doc, model.Errorf(model.ErrInvalid, "no licence can be verified: the broker's configuration has no license.public_keys")
	}
	verified := false
	for _, k := range l.keys {
		verified = verified || ed25519.Verify(k, env.Document, sig)
	}
	if !verified {
		return doc, model.Errorf(model.ErrInvalid, "the licence's signature matches none of the %d key(s) in license.public_keys: it was altered or signed by another issuer", len(l.keys))
	}
	dec := json.NewDecoder(bytes.NewReader(env.Document))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return doc, model.Errorf(model.ErrInvalid, "the licence's document is malformed: %v", err)
	}
	switch {
	case doc.LicenseType == "":
		return doc, model.Errorf(model.ErrInvalid, "the licence's document has no licenseType")
	case doc.IssuedDate.IsZero():
		return doc, model.Errorf(model.ErrInvalid, "the licence's document has no issuedDate")
	case !doc.ExpiredDate.IsZero() && !doc.ExpiredDate.After(doc.IssuedDate):
		return doc, model.Errorf(model.ErrInvalid, "the licence's expiredDate %s is not after its issuedDate %s",
			doc.ExpiredDate.UTC().Format(time.RFC3339), doc.IssuedDate.UTC().Format(time.RFC3339))
	case doc.HostNum < 0 || doc.CPUNum < 0:
		return doc, model.Errorf(model.ErrInvalid, "the licence's hostNum and cpuNum must be >= 0 (0: unlimited)")
	}
	return doc, nil
}

// Install verifies a licence and makes it the one in force on every replica; a refused
// licence changes nothing.
func (l *Licenses) Install(ctx context.Context, nodeUUID, text string) (License, error) {
	doc, err := l.Parse(text)
	if err != nil {
		return License{}, err
	}
	in := InstalledLicense{Text: text, UploadDate: l.now(), ManagementNodeUUID: nodeUUID}
	if err := l.store.Install(ctx, in); err != nil {
		return License{}, err
	}
	return License{LicenseDocument: doc, Installed: true, UploadDate: in.UploadDate, ManagementNodeUUID: nodeUUID}, nil
}

// Current is the licence in force: the installed one, or the free licence when none is. An
// installed licence that no longer verifies (its key left the configuration) is logged and
// the free licence answered, so a configuration change cannot take the API down; an expired
// one stays in force, marked expired. Reload reports such a licence as an error.
func (l *Licenses) Current(ctx context.Context) (License, error) {
	lic, err := l.Reload(ctx)
	var bad *invalidInstalled
	if errors.As(err, &bad) {
		l.log.Warn("the installed licence does not verify; the free licence is in force", "err", err)
		return License{LicenseDocument: LicenseDocument{LicenseType: LicenseFree}}, nil
	}
	return lic, err
}

// Reload reads the installed licence again and verifies it now. A licence that expired since
// it was installed is still the licence in force, marked expired.
func (l *Licenses) Reload(ctx context.Context) (License, error) {
	in, ok, err := l.store.Installed(ctx)
	if err != nil {
		return License{}, err
	}
	if !ok {
		return License{LicenseDocument: LicenseDocument{LicenseType: LicenseFree}}, nil
	}
	doc, err := l.verify(in.Text)
	if err != nil {
		return License{}, &invalidInstalled{err: err, uploaded: in.UploadDate}
	}
	return License{LicenseDocument: doc, Installed: true, UploadDate: in.UploadDate, ManagementNodeUUID: in.ManagementNodeUUID}, nil
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

package license

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"cloudbroker/broker/model"
)

// issueSkew tolerates an issuer's clock a little ahead of ours.
const issueSkew = 5 * time.Minute

// Parse verifies a licence (the base64 text as uploaded) for installing now and returns its
// document. Every refusal wraps model.ErrInvalid and says what is wrong.
func (l *Service) Parse(text string) (Document, error) {
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
func (l *Service) verify(text string) (Document, error) {
	var doc Document
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
	case doc.Type == "":
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

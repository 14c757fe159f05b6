package license

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"cloudbroker/broker/model"
)

// FuzzLicenseDocument signs whatever document bytes it is given with a trusted key, so the
// document parser (not the signature) is what is fuzzed: every refusal is a clear ErrInvalid,
// and an accepted document has what a licence needs. Texts that are not signed documents
// (the second input) must never be accepted.
func FuzzLicenseDocument(f *testing.F) {
	seed := make([]byte, ed25519.SeedSize)
	priv := ed25519.NewKeyFromSeed(seed)
	l := New(nil, Deps{Keys: []ed25519.PublicKey{priv.Public().(ed25519.PublicKey)}})
	for _, doc := range []string{
		`{"user":"ops","licenseType":"Paid","issuedDate":"2026-01-01T00:00:00Z","expiredDate":"2036-01-01T00:00:00Z","hostNum":10}`,
		`{"licenseType":"Paid","issuedDate":"2026-01-01T00:00:00Z","capabilities":{"vmware":false}}`,
		`{"licenseType":"","issuedDate":"2026-01-01T00:00:00Z"}`, `{"licenseType":"x","hostNum":-1}`,
		`{"licenseType":"x","issuedDate":"2026-01-01T00:00:00Z","extra":1}`, `null`, `[]`, `{`, ``,
	} {
		f.Add([]byte(doc), "")
	}
	f.Add([]byte(nil), "eyJkb2N1bWVudCI6e30sInNpZ25hdHVyZSI6IiJ9")
	f.Add([]byte(nil), "not base64 at all")
	f.Fuzz(func(t *testing.T, doc []byte, unsigned string) {
		env, _ := json.Marshal(map[string]any{"document": json.RawMessage(doc), "signature": ed25519.Sign(priv, doc)})
		if !json.Valid(doc) {
			env = []byte(`{"document":` + string(doc) + `,"signature":"` + base64.StdEncoding.EncodeToString(ed25519.Sign(priv, doc)) + `"}`)
		}
		got, err := l.verify(base64.StdEncoding.EncodeToString(env))
		if err != nil {
			if !errors.Is(err, model.ErrInvalid) {
				t.Fatalf("refusal %v does not wrap ErrInvalid", err)
			}
		} else if got.Type == "" || got.IssuedDate.IsZero() || got.HostNum < 0 || got.CPUNum < 0 ||
			(!got.ExpiredDate.IsZero() && !got.ExpiredDate.After(got.IssuedDate)) {
			t.Fatalf("accepted an incomplete licence %+v from %q", got, doc)
		}
		if unsigned != "" {
			if _, err := l.verify(unsigned); err == nil || !errors.Is(err, model.ErrInvalid) {
				t.Fatalf("text %q that no trusted key signed: %v", unsigned, err)
			}
		}
	})
}

package config

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
)

// License configures how the broker's licence is verified. Without an installed licence the
// broker runs under the free licence (no limit); an uploaded licence must be signed by one of
// PublicKeys.
type License struct {
	// PublicKeys are the ed25519 public keys (base64 of the 32-byte key) a licence may be
	// signed with. Default none: every licence upload is refused, the free licence stays.
	PublicKeys []string `yaml:"public_keys"`
}

// Keys decodes PublicKeys.
func (l License) Keys() ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for i, s := range l.PublicKeys {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("config: license.public_keys[%d]: want the base64 of a %d-byte ed25519 public key", i, ed25519.PublicKeySize)
		}
		keys = append(keys, ed25519.PublicKey(b))
	}
	return keys, nil
}

func (l License) validate() []error {
	if _, err := l.Keys(); err != nil {
		return []error{err}
	}
	return nil
}

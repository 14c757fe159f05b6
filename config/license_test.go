package config

import (
	"strings"
	"testing"
)

// A licence key that is not a base64 32-byte ed25519 key is refused, naming its entry.
func TestLicensePublicKeys(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"ZfDi2qbASyJTArd9HOt7CSWteyM3Lf8gfq71hbo7mKE=", ""},
		{"not base64!", "license.public_keys[0]: want the base64 of a 32-byte ed25519 public key"},
		{"MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=", "license.public_keys[0]"}, // PEM body, not the raw key
	} {
		_, err := Parse([]byte("redis: {addr: 127.0.0.1:6379}\nlicense: {public_keys: [\""+tc.key+"\"]}\n"), func(string) string { return "" })
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("key %q: %v, want %q", tc.key, err, tc.want)
		}
	}
}

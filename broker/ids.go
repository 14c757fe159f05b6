package broker

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// DerivedUUID is a stable id (32 hex characters, ZStack style) derived from parts joined by
// NUL: every replica computes the same one with no coordination. Ids of different kinds that
// could share parts start with the kind ("image", "host").
func DerivedUUID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// NewUUID returns a fresh id: 32 random hex characters (tasks, tags, notifications, nodes).
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// VMUUID is the broker's id for a provider's VM, derived from (provider, native id) so that
// equal MoRefs on two vCenters (vm-42 and vm-42) never collide.
func VMUUID(provider, nativeID string) string { return DerivedUUID(provider, nativeID) }

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// IsUUID reports whether s has the form of a broker uuid.
func IsUUID(s string) bool { return uuidPattern.MatchString(s) }

// VMRef locates a VM: the reverse of VMUUID.
type VMRef struct {
	Provider string `json:"provider"`
	NativeID string `json:"nativeId"`
}

// RefStore keeps the uuid → VMRef mapping; the queue package keeps it in Redis.
type RefStore interface {
	PutVMRefs(ctx context.Context, refs map[string]VMRef) error
	// ResolveVM returns an error wrapping model.ErrNotFound for an id it has never seen.
	ResolveVM(ctx context.Context, id string) (VMRef, error)
}

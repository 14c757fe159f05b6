package broker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
)

// VMUUID is the broker's id for a provider's VM: 32 hex characters (ZStack style), derived from
// (provider, native id) so that every replica computes the same id with no coordination, and
// equal MoRefs on two vCenters (vm-42 and vm-42) never collide.
func VMUUID(provider, nativeID string) string {
	sum := sha256.Sum256([]byte(provider + "\x00" + nativeID))
	return hex.EncodeToString(sum[:16])
}

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

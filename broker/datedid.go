package broker

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// Task ids the broker makes carry their creation time, so that an id whose record is missing
// can be told apart: expired (older than the retention), lost with Redis's data (made before
// the loss), or never made here. 32 hex characters, as before: 48 bits of Unix milliseconds,
// 64 random bits, and 16 bits of a check (SHA-256 of the rest), which tells a dated id from a
// caller-chosen one (X-Job-UUID, a random UUID) with near certainty. Ids are unique by their
// random bits and their claim (queue/taskclaim.go), not secret: a caller who forges a dated id
// learns only that it would have been lost.

// NewDatedID returns a fresh dated id made at now.
func NewDatedID(now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	_, _ = rand.Read(b[6:14])
	sum := sha256.Sum256(b[:14])
	copy(b[14:], sum[:2])
	return hex.EncodeToString(b[:])
}

// DatedIDTime returns when a dated id was made; ok is false for any other id.
func DatedIDTime(id string) (time.Time, bool) {
	if !IsUUID(id) {
		return time.Time{}, false
	}
	b, err := hex.DecodeString(id)
	if err != nil {
		return time.Time{}, false
	}
	sum := sha256.Sum256(b[:14])
	if sum[0] != b[14] || sum[1] != b[15] {
		return time.Time{}, false
	}
	var ms [8]byte
	copy(ms[2:], b[:6])
	return time.UnixMilli(int64(binary.BigEndian.Uint64(ms[:]))), true
}

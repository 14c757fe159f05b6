package keys

import (
	"crypto/sha256"
	"encoding/hex"
)

// The keys of the stores in queue/redisstore.

// Every inventory key carries the {inv} hash tag: Apply and SetStatus write several of them in
// one transaction, which a Redis Cluster only allows within one slot.
const (
	InvVMs    = "cb:{inv}:vms"    // hash: uuid → VM JSON
	InvStatus = "cb:{inv}:status" // hash: provider → SyncStatus JSON
	InvEvents = "cb:{inv}:events" // stream of change batches and statuses, for followers
)

// InvIDs is the set of the VM uuids held for one provider.
func InvIDs(provider string) string { return "cb:{inv}:ids:" + provider }

// The listings inventory (redisstore/listings.go) shares the {list} hash tag. Every kind's
// lists are fields of one hash, so a follower loads them all with one HGETALL.
const (
	ListLists  = "cb:{list}:lists" // hash: ListField(kind, provider) → broker.ProviderList JSON
	ListEvents = "cb:list-events"  // pub/sub channel: the ListField whose list changed (no slot)
)

// ListField is the field of ListLists holding one provider's list of one kind. A kind has no
// ':', so the field reads back unambiguously whatever the provider is named.
func ListField(kind, provider string) string { return kind + ":" + provider }

// ListLease is held by the replica refreshing a provider's list of one kind this period.
func ListLease(kind, provider string) string { return "cb:{list}:lease:" + ListField(kind, provider) }

// Notifications share the {notes} hash tag (redisstore/notifications.go says what each holds).
const (
	NotesIndex  = "cb:{notes}:index"
	NotesData   = "cb:{notes}:data"
	NotesStatus = "cb:{notes}:status"
)

// NotesOnce marks an event already recorded.
func NotesOnce(once string) string { return "cb:{notes}:once:" + once }

// TagsData is the hash of every tag (redisstore/tags.go).
const TagsData = "cb:{tags}:data"

// TagsResource is the hash of one resource's tags, in TagsData's slot.
func TagsResource(resource, resourceUUID string) string {
	return "cb:{tags}:res:" + resource + ":" + resourceUUID
}

// Live snapshots share the {livesnap} hash tag (redisstore/livesnapshots.go).
const liveSnapPrefix = "cb:{livesnap}:"

// LiveSnapIndex is the sorted set of live snapshot keys.
const LiveSnapIndex = liveSnapPrefix + "index"

// LiveSnap is one live snapshot.
func LiveSnap(key string) string { return liveSnapPrefix + key }

// Nodes is the set of broker replicas' uuids (an index, as Agents).
const Nodes = "cb:nodes"

// Node is one replica's record, expiring when its heartbeats stop.
func Node(uuid string) string { return "cb:node:" + uuid }

// License holds the installed licence, with no expiry: it stays until replaced.
const License = "cb:license"

// CloneFailures is the hash of clones that ended without a VM (redisstore/clonelog.go).
const CloneFailures = "cb:clonefail"

// Session is one login session of a dialect (namespace keeps dialects apart).
func Session(namespace, id string) string { return "cb:session:" + namespace + ":" + id }

// SessionEvents is the pub/sub channel on which a dialect's ended sessions are announced, so
// every replica drops its cached copy (redisstore/sessions_cache.go). A channel, not a key: no
// slot.
func SessionEvents(namespace string) string { return "cb:session-events:" + namespace }

// Login counts the login attempts of an account or client address. The key is a digest:
// account names and addresses come from the request, so they are neither trusted in a key nor
// kept in Redis.
func Login(k string) string {
	sum := sha256.Sum256([]byte(k))
	return "cb:login:" + hex.EncodeToString(sum[:16])
}

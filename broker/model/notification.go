package model

import (
	"context"
	"fmt"
	"time"
)

// Notifications are broker events an operator should hear about: a provider disconnected or
// reconnected, an inventory sync failed, a proxy agent went offline, a task failed, a failed
// clone left a VM behind. broker/notify reads and manages them; the dialects render them.
// They are kept in Redis (the queue package's store), so every replica and agent records
// into, and reads, one list.

// Notification kinds (Name): what happened.
const (
	NoticeProviderDisconnected = "ProviderDisconnected"
	NoticeProviderReconnected  = "ProviderReconnected"
	NoticeSyncFailed           = "SyncFailed"
	NoticeAgentOffline         = "AgentOffline"
	NoticeTaskFailed           = "TaskFailed"
	NoticeCloneLeftover        = "CloneLeftover"
)

// Notification severities (Type).
const (
	NoticeInfo    = "Info"
	NoticeWarning = "Warning"
	NoticeError   = "Error"
)

// Notification read states (Status).
const (
	NoticeUnread = "Unread"
	NoticeRead   = "Read"
)

// Resource kinds a notification is about (ResourceType); each dialect renders its own name.
const (
	ResourceProvider = "Provider" // ResourceUUID: the provider's name
	ResourceAgent    = "Agent"    // ResourceUUID: the clientid
	ResourceTask     = "Task"     // ResourceUUID: the task id
	ResourceVM       = "VM"       // ResourceUUID: the broker's VM uuid
)

// Notification is one recorded event.
type Notification struct {
	UUID string `json:"uuid"`
	Name string `json:"name"`
	// Content is a message with %s placeholders, Arguments their values (so a client can
	// render or translate the text itself).
	Content   string   `json:"content"`
	Arguments []string `json:"arguments"`
	// Sender is the process that noticed: "broker" or "agent:<clientid>".
	Sender       string    `json:"sender"`
	Status       string    `json:"status"`
	ResourceUUID string    `json:"resourceUuid"`
	ResourceType string    `json:"resourceType"`
	Type         string    `json:"type"`
	Time         time.Time `json:"time"`
	LastOpDate   time.Time `json:"lastOpDate"`
	// Providers are the providers the event concerns: a caller sees the notification when it
	// sees one of them. Empty means broker-wide: only callers that see every provider see it.
	Providers []string `json:"providers,omitempty"`
}

// Text is Content with its Arguments filled in.
func (n Notification) Text() string {
	args := make([]any, len(n.Arguments))
	for i, a := range n.Arguments {
		args[i] = a
	}
	return fmt.Sprintf(n.Content, args...)
}

// Notifier records notifications.
type Notifier interface {
	// Notify records n (UUID, Time, Status filled in when empty). once, if not empty, names the
	// event: a second Notify with the same once (by any process) within the store's retention
	// records nothing, so an event several replicas notice is recorded once.
	Notify(ctx context.Context, n Notification, once string) error
}

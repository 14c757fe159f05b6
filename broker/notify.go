package broker

import (
	"context"
	"fmt"
	"time"

	"cloudbroker/broker/model"
)

// Notifications are broker events an operator should hear about: a provider disconnected or
// reconnected, an inventory sync failed, a proxy agent went offline, a task failed, a failed
// clone left a VM behind. ZStack's QueryNotification / UpdateNotificationsStatus /
// DeleteNotifications read and manage them. They are kept in Redis (queue.Notifications), so
// every replica and agent records into, and reads, one list.

// Notification kinds (Name): what happened.
const (
	NoticeProviderDisconnected = "ProviderDisconnected"
	NoticeProviderReconnected  = "ProviderReconnected"
	NoticeSyncFailed           = "SyncFailed"
	NoticeAgentOffline         = "AgentOffline"
	NoticeTaskFailed           = "TaskFailed"
	NoticeCloneLeftover        = "CloneLeftover"
)

// Notification severities (Type), ZStack's.
const (
	NoticeInfo    = "Info"
	NoticeWarning = "Warning"
	NoticeError   = "Error"
)

// Notification read states (Status), ZStack's.
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
	// Content is a message with %s placeholders, Arguments their values (as ZStack keeps them,
	// so a client can render or translate the text itself).
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

// NotificationStore keeps notifications; the queue package keeps them in Redis.
type NotificationStore interface {
	Notifier
	// Notifications lists every kept notification, newest first.
	Notifications(ctx context.Context) ([]Notification, error)
	// SetNotificationsStatus sets the status of those of uuids that exist; others are ignored.
	SetNotificationsStatus(ctx context.Context, uuids []string, status string) error
	// DeleteNotifications deletes those of uuids that exist; others are ignored.
	DeleteNotifications(ctx context.Context, uuids []string) error
}

// notify records n, logging (not returning) a failure: losing a notification must never fail
// the work that noticed the event.
func notify(ctx context.Context, n Notifier, log interface {
	Warn(msg string, args ...any)
}, note Notification, once string) {
	if n == nil {
		return
	}
	if err := n.Notify(context.WithoutCancel(ctx), note, once); err != nil {
		log.Warn("could not record a notification", "name", note.Name, "text", note.Text(), "err", err)
	}
}

// notifications returns the store or an error saying none is configured.
func (b *Broker) notifications() (NotificationStore, error) {
	if b.notes == nil {
		return nil, model.Errorf(model.ErrUnsupported, "this broker keeps no notifications")
	}
	return b.notes, nil
}

// Notifications lists the notifications the caller sees, newest first.
func (b *Broker) Notifications(ctx context.Context, c model.Caller) ([]Notification, error) {
	s, err := b.notifications()
	if err != nil {
		return nil, err
	}
	all, err := s.Notifications(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Notification, 0, len(all))
	for _, n := range all {
		if c.SeesAny(n.Providers) {
			out = append(out, n)
		}
	}
	return out, nil
}

// visibleNotifications keeps the uuids of notifications the caller sees. Unknown uuids, and
// those of notifications the caller does not see, are dropped silently, as ZStack ignores
// uuids it does not find: a tenant learns nothing about others' notifications.
func (b *Broker) visibleNotifications(ctx context.Context, c model.Caller, uuids []string) ([]string, error) {
	if len(uuids) == 0 {
		return nil, model.Errorf(model.ErrInvalid, "uuids is required: name the notifications")
	}
	visible, err := b.Notifications(ctx, c)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(visible))
	for _, n := range visible {
		seen[n.UUID] = true
	}
	var out []string
	for _, id := range uuids {
		if seen[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// UpdateNotificationsStatus marks notifications Read or Unread.
func (b *Broker) UpdateNotificationsStatus(ctx context.Context, c model.Caller, uuids []string, status string) error {
	if status != NoticeRead && status != NoticeUnread {
		return model.Errorf(model.ErrInvalid, "status %q is not a notification status: use %s or %s", status, NoticeUnread, NoticeRead)
	}
	s, err := b.notifications()
	if err != nil {
		return err
	}
	ids, err := b.visibleNotifications(ctx, c, uuids)
	if err != nil || len(ids) == 0 {
		return err
	}
	return s.SetNotificationsStatus(ctx, ids, status)
}

// DeleteNotifications deletes notifications.
func (b *Broker) DeleteNotifications(ctx context.Context, c model.Caller, uuids []string) error {
	s, err := b.notifications()
	if err != nil {
		return err
	}
	ids, err := b.visibleNotifications(ctx, c, uuids)
	if err != nil || len(ids) == 0 {
		return err
	}
	return s.DeleteNotifications(ctx, ids)
}

// NoticeOfflineAgents records an AgentOffline notification for each agent whose heartbeat is
// older than the offline threshold (a graceful stop is not an outage). It is keyed by the
// agent process (instance), so every replica may call it on every beat: one process going
// offline is recorded once; a restarted agent that goes offline again is a new event.
func (b *Broker) NoticeOfflineAgents(ctx context.Context, agents []Agent) {
	for _, a := range agents {
		if b.AgentState(a) != AgentOffline {
			continue
		}
		providers := make([]string, 0, len(a.Providers))
		for _, p := range a.Providers {
			providers = append(providers, p.Name)
		}
		notify(ctx, b.notes, b.log, Notification{
			Name: NoticeAgentOffline, Type: NoticeWarning, Sender: "broker",
			Content:      "agent[clientid:%s] is offline: no heartbeat since %s",
			Arguments:    []string{a.ClientID, a.LastSeen.UTC().Format(time.RFC3339)},
			ResourceUUID: a.ClientID, ResourceType: ResourceAgent, Providers: providers,
		}, "agent-offline:"+a.ClientID+":"+a.Instance)
	}
}

// Package notify reads and manages the broker's notifications (model.Notification): each
// caller sees, marks and deletes those about providers it sees. The events themselves are
// recorded by whoever notices them, through a model.Notifier.
package notify

import (
	"context"
	"log/slog"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// Store keeps notifications; the queue package keeps them in Redis.
type Store interface {
	model.Notifier
	// Notifications lists every kept notification, newest first.
	Notifications(ctx context.Context) ([]model.Notification, error)
	// SetNotificationsStatus sets the status of those of uuids that exist; others are ignored.
	SetNotificationsStatus(ctx context.Context, uuids []string, status string) error
	// DeleteNotifications deletes those of uuids that exist; others are ignored.
	DeleteNotifications(ctx context.Context, uuids []string) error
}

// Core is what notifications need from the broker (*broker.Broker): whether an agent counts
// as offline.
type Core interface {
	AgentState(a broker.Agent) string
}

// Deps are the service's dependencies besides its store.
type Deps struct {
	Core Core
	Log  *slog.Logger
}

// Service is the notification service. A nil store keeps none: reading or changing them is
// unsupported and nothing is recorded.
type Service struct {
	store Store
	core  Core
	log   *slog.Logger
}

// New returns the notification service over a store.
func New(store Store, d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Service{store: store, core: d.Core, log: d.Log}
}

// kept returns the store or an error saying none is configured.
func (s *Service) kept() (Store, error) {
	if s == nil || s.store == nil {
		return nil, model.Errorf(model.ErrUnsupported, "this broker keeps no notifications")
	}
	return s.store, nil
}

// List returns the notifications the caller sees, newest first.
func (s *Service) List(ctx context.Context, c model.Caller) ([]model.Notification, error) {
	store, err := s.kept()
	if err != nil {
		return nil, err
	}
	all, err := store.Notifications(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]model.Notification, 0, len(all))
	for _, n := range all {
		if c.SeesAny(n.Providers) {
			out = append(out, n)
		}
	}
	return out, nil
}

// visible returns the store and those of uuids whose notifications the caller sees. Unknown
// uuids, and those of notifications the caller does not see, are dropped silently: a tenant
// learns nothing about others' notifications.
func (s *Service) visible(ctx context.Context, c model.Caller, uuids []string) (Store, []string, error) {
	store, err := s.kept()
	if err != nil {
		return nil, nil, err
	}
	if len(uuids) == 0 {
		return nil, nil, model.Errorf(model.ErrInvalid, "uuids is required: name the notifications")
	}
	visible, err := s.List(ctx, c)
	if err != nil {
		return nil, nil, err
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
	return store, out, nil
}

// UpdateStatus marks notifications Read or Unread.
func (s *Service) UpdateStatus(ctx context.Context, c model.Caller, uuids []string, status string) error {
	if status != model.NoticeRead && status != model.NoticeUnread {
		return model.Errorf(model.ErrInvalid, "status %q is not a notification status: use %s or %s", status, model.NoticeUnread, model.NoticeRead)
	}
	store, ids, err := s.visible(ctx, c, uuids)
	if err != nil || len(ids) == 0 {
		return err
	}
	return store.SetNotificationsStatus(ctx, ids, status)
}

// Delete deletes notifications.
func (s *Service) Delete(ctx context.Context, c model.Caller, uuids []string) error {
	store, ids, err := s.visible(ctx, c, uuids)
	if err != nil || len(ids) == 0 {
		return err
	}
	return store.DeleteNotifications(ctx, ids)
}

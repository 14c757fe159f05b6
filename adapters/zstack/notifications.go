package zstack

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker/model"
)

// Notifications are the broker's events (model.Notification, read through broker/notify): provider disconnected and
// reconnected, inventory sync failed, agent offline, task failed, clone leftover found.
//
// Visibility: a notification about a provider is seen by callers that see the provider; an
// agent's by callers that see one of the providers it serves; a task's by callers that see
// its provider. Everything is seen by accounts without a provider scope. Updating or deleting
// uuids that do not exist, or that the caller does not see, is ignored, as ZStack ignores
// uuids it does not find: the answer is {} either way and nothing leaks across tenants.

// notificationInventory is ZStack's NotificationInventory. arguments is a JSON array in a
// string and time is milliseconds, as the manual's example shows them.
type notificationInventory struct {
	UUID         string `json:"uuid"`
	Name         string `json:"name"`
	Content      string `json:"content"`
	Arguments    string `json:"arguments"`
	Sender       string `json:"sender"`
	Status       string `json:"status"`
	ResourceUUID string `json:"resourceUuid"`
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Time         int64  `json:"time"`
	CreateDate   string `json:"createDate"`
	LastOpDate   string `json:"lastOpDate"`
}

// notificationResource renders what a notification is about in ZStack's terms: a provider is
// a cluster in this dialect (ClusterVO, its clusterUuid), a VM a VmInstanceVO; agents and
// tasks have no ZStack resource, so they keep their own names (AgentVO with the clientid,
// TaskVO with the task's uuid, which is also its api-job uuid).
func notificationResource(n model.Notification) (string, string) {
	switch n.ResourceType {
	case model.ResourceProvider:
		return nameUUID("cluster", n.ResourceUUID), "ClusterVO"
	case model.ResourceVM:
		return n.ResourceUUID, "VmInstanceVO"
	case model.ResourceAgent:
		return n.ResourceUUID, "AgentVO"
	case model.ResourceTask:
		return n.ResourceUUID, "TaskVO"
	}
	return n.ResourceUUID, n.ResourceType
}

func (r renderer) notification(n model.Notification) notificationInventory {
	// Contents and arguments quote errors (a provider's, a task's): no address reaches a caller.
	args, _ := json.Marshal(n.Arguments)
	id, typ := notificationResource(n)
	return notificationInventory{
		UUID: n.UUID, Name: n.Name, Content: adapters.PublicText(n.Content), Arguments: adapters.PublicText(string(args)), Sender: n.Sender,
		Status: n.Status, ResourceUUID: id, ResourceType: typ, Type: n.Type, Time: n.Time.UnixMilli(),
		CreateDate: r.date(n.Time), LastOpDate: r.date(n.LastOpDate),
	}
}

// queryNotifications is GET /zstack/v1/notifications[/{uuid}] (QueryNotification), newest
// first unless sortBy says otherwise.
func (s *Server) queryNotifications(c *gin.Context) {
	queryListed(c, "Notification", s.o.Notifications.List, s.r.notification)
}

const actUpdateNotificationsStatus = "updateNotificationsStatus"

// notificationActions is PUT /zstack/v1/notifications/actions (UpdateNotificationsStatus):
// {"updateNotificationsStatus":{"uuids":[...],"status":"Read"|"Unread"}} → {}.
func (s *Server) notificationActions(c *gin.Context) {
	raw, ok := s.body(c)
	if !ok {
		return
	}
	_, params, err := pickAction(raw, []string{actUpdateNotificationsStatus}, "notifications")
	var req struct {
		UUIDs  []string `json:"uuids"`
		Status string   `json:"status"`
	}
	if err == nil {
		err = decodeStrict(actUpdateNotificationsStatus, params, &req)
	}
	if err == nil {
		err = checkNotificationUUIDs(req.UUIDs)
	}
	if err == nil && req.Status != model.NoticeRead && req.Status != model.NoticeUnread {
		err = model.Errorf(model.ErrInvalid, "updateNotificationsStatus.status %q is not a notification status: use %s or %s", shorten(req.Status), model.NoticeUnread, model.NoticeRead)
	}
	if err != nil {
		fail(c, err)
		return
	}
	caller := callerOf(c)
	s.accept(c, "UpdateNotificationsStatus", req, func(ctx context.Context) (any, error) {
		return empty{}, s.o.Notifications.UpdateStatus(ctx, caller, req.UUIDs, req.Status)
	})
}

// deleteNotifications is DELETE /zstack/v1/notifications (DeleteNotifications). The manual
// puts uuids in the body ({"uuids":[...]}); since many HTTP clients and proxies drop a DELETE
// body, uuids=... query parameters (repeated, or comma-separated) are accepted too, and both
// forms may be combined.
func (s *Server) deleteNotifications(c *gin.Context) {
	raw, ok := s.body(c)
	if !ok {
		return
	}
	var req struct {
		UUIDs []string `json:"uuids"`
	}
	var err error
	if len(strings.TrimSpace(string(raw))) > 0 {
		err = decodeJSON(raw, &req)
	}
	params, perr := requestParams(c)
	if perr == nil {
		_, perr = deleteModeParam(c)
	}
	if perr != nil {
		fail(c, perr)
		return
	}
	for _, v := range params["uuids"] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				req.UUIDs = append(req.UUIDs, id)
			}
		}
	}
	if err == nil {
		err = checkNotificationUUIDs(req.UUIDs)
	}
	if err != nil {
		fail(c, err)
		return
	}
	caller := callerOf(c)
	s.accept(c, "DeleteNotifications", req, func(ctx context.Context) (any, error) {
		return empty{}, s.o.Notifications.Delete(ctx, caller, req.UUIDs)
	})
}

// checkNotificationUUIDs refuses an empty list: a request that names nothing is a mistake.
func checkNotificationUUIDs(uuids []string) error {
	if len(uuids) == 0 {
		return model.Errorf(model.ErrInvalid, "uuids is required: name the notifications (in the body, or as uuids= query parameters)")
	}
	return nil
}

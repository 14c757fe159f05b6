package zstack_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/config"
	"cloudbroker/test/harness"
)

type notificationInv struct {
	UUID, Name, Content, Arguments, Sender, Status, ResourceUUID, ResourceType, Type string
	Time                                                                             float64
}

// notifications queries QueryNotification with conditions and returns the inventories.
func notifications(t *testing.T, b *harness.Broker, session string, conds ...string) []notificationInv {
	t.Helper()
	v := url.Values{"q": conds}
	res := call(t, b, http.MethodGet, "/zstack/v1/notifications?"+v.Encode(), session, nil)
	if res.Code != http.StatusOK {
		t.Fatalf("QueryNotification: %d %s", res.Code, res.Body)
	}
	var out struct{ Inventories []notificationInv }
	res.json(t, &out)
	return out.Inventories
}

// waitNotification waits for a notification with the name to appear.
func waitNotification(t *testing.T, b *harness.Broker, session, name string) notificationInv {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if ns := notifications(t, b, session, "name="+name); len(ns) > 0 {
			return ns[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s notification: %+v", name, notifications(t, b, session))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stopping a vCenter raises "disconnected", bringing it back "reconnected"; a task that fails
// against it raises "task failed". Status updates and deletes work on them, and a tenant sees
// only its own provider's.
func TestNotificationsFollowAProviderOutage(t *testing.T) {
	b := harness.Start(t, harness.Options{Simulators: 2, Proxied: true, Tune: func(c *config.Config) {
		c.ZStack.Accounts = []config.ZStackAccount{
			{Name: "admin", PasswordSHA512: config.HashPassword(adminPass), AllProviders: true},
			{Name: "tenant-b", Password: passB, Providers: []string{"vc2"}},
		}
		for i := range c.Providers {
			c.Providers[i].Options = map[string]string{"watch_max_wait": "1s"}
			c.Providers[i].Timeout = config.Duration(2 * time.Second)
		}
		c.Inventory.ScheduleInterval = config.Duration(200 * time.Millisecond)
	}})
	admin := login(t, b, "admin", adminPass)
	tenantB := login(t, b, "tenant-b", passB)
	vm := uuidOf(t, b, 0, "DC0_H0_VM0")
	if ns := notifications(t, b, admin); len(ns) != 0 {
		t.Fatalf("notifications before any event: %+v", ns)
	}

	b.Proxies[0].SetDown(true)
	down := waitNotification(t, b, admin, "ProviderDisconnected")
	goldenJSON(t, "notification_disconnected", maskNotification(t, b, admin, down))

	// A power operation on vc1's VM fails after its retries: one TaskFailed notification.
	res := call(t, b, http.MethodPut, "/zstack/v1/vm-instances/"+vm+"/actions", admin, map[string]any{"stopVmInstance": map[string]any{}})
	if res.Code != http.StatusAccepted {
		t.Fatalf("stopVmInstance: %d %s", res.Code, res.Body)
	}
	var loc struct{ Location string }
	res.json(t, &loc)
	if got := pollJob(t, b, admin, loc.Location); got.Code != http.StatusServiceUnavailable {
		t.Fatalf("stop while vc1 is down: %d %s", got.Code, got.Body)
	}
	failed := waitNotification(t, b, admin, "TaskFailed")
	if failed.ResourceType != "VmInstanceVO" || failed.ResourceUUID != vm || failed.Type != "Error" {
		t.Errorf("TaskFailed is about %s %s (%s), want VmInstanceVO %s (Error)", failed.ResourceType, failed.ResourceUUID, failed.Type, vm)
	}
	if !strings.Contains(failed.Arguments, "vc1") {
		t.Errorf("TaskFailed arguments %s do not name the provider", failed.Arguments)
	}

	b.Proxies[0].SetDown(false)
	up := waitNotification(t, b, admin, "ProviderReconnected")
	goldenJSON(t, "notification_reconnected", maskNotification(t, b, admin, up))

	// One event, one notification: the watch's retries while down added none.
	if n := len(notifications(t, b, admin, "name=ProviderDisconnected")); n != 1 {
		t.Errorf("%d ProviderDisconnected notifications, want 1", n)
	}
	// tenant-b sees vc2 only: none of vc1's events.
	if ns := notifications(t, b, tenantB); len(ns) != 0 {
		t.Errorf("tenant-b sees vc1's notifications: %+v", ns)
	}

	// UpdateNotificationsStatus flips Unread → Read.
	unread := notifications(t, b, admin, "status=Unread")
	var ids []string
	for _, n := range unread {
		ids = append(ids, n.UUID)
	}
	res = call(t, b, http.MethodPut, "/zstack/v1/notifications/actions", admin, map[string]any{
		"updateNotificationsStatus": map[string]any{"uuids": ids, "status": "Read"}, "systemTags": []string{},
	})
	if res.Code != http.StatusAccepted {
		t.Fatalf("UpdateNotificationsStatus: %d %s", res.Code, res.Body)
	}
	res.json(t, &loc)
	done := pollJob(t, b, admin, loc.Location)
	goldenJSON(t, "notification_update_status", done.Body)
	if n := len(notifications(t, b, admin, "status=Unread")); n != 0 {
		t.Errorf("%d still Unread after marking all Read", n)
	}
	read := notifications(t, b, admin, "status=Read")
	if !sameIDs(read, ids) {
		t.Errorf("Read notifications %+v, want %v", read, ids)
	}

	// An unknown status is refused at once, naming the values.
	res = call(t, b, http.MethodPut, "/zstack/v1/notifications/actions", admin, map[string]any{
		"updateNotificationsStatus": map[string]any{"uuids": ids, "status": "Seen"},
	})
	goldenJSON(t, "notification_bad_status", res.Body)
	if res.Code != http.StatusBadRequest {
		t.Errorf("status Seen: %d, want 400", res.Code)
	}

	// DeleteNotifications: body form, and uuids as query parameters; unknown uuids are ignored.
	res = call(t, b, http.MethodDelete, "/zstack/v1/notifications", admin, map[string]any{"uuids": []string{ids[0], strings.Repeat("0", 32)}})
	res.json(t, &loc)
	if got := pollJob(t, b, admin, loc.Location); got.Code != http.StatusOK {
		t.Fatalf("DeleteNotifications: %d %s", got.Code, got.Body)
	}
	res = call(t, b, http.MethodDelete, "/zstack/v1/notifications?uuids="+strings.Join(ids[1:], ","), admin, nil)
	res.json(t, &loc)
	if got := pollJob(t, b, admin, loc.Location); got.Code != http.StatusOK {
		t.Fatalf("DeleteNotifications by query: %d %s", got.Code, got.Body)
	}
	for _, n := range notifications(t, b, admin) {
		if slices.Contains(ids, n.UUID) {
			t.Errorf("notification %s (%s) survived its deletion", n.UUID, n.Name)
		}
	}
}

func sameIDs(ns []notificationInv, ids []string) bool {
	var got []string
	for _, n := range ns {
		got = append(got, n.UUID)
	}
	slices.Sort(got)
	want := slices.Clone(ids)
	slices.Sort(want)
	return cmp.Equal(got, want)
}

// maskNotification is GET /notifications/{uuid}'s answer for a golden file, with what varies
// (the error text in the arguments, the time) masked.
func maskNotification(t *testing.T, b *harness.Broker, session string, n notificationInv) []byte {
	t.Helper()
	res := call(t, b, http.MethodGet, "/zstack/v1/notifications/"+n.UUID, session, nil)
	var body struct {
		Inventories []map[string]any `json:"inventories"`
	}
	res.json(t, &body)
	for _, inv := range body.Inventories {
		if tm, _ := inv["time"].(float64); tm <= 0 {
			t.Errorf("notification %s has time %v", n.UUID, inv["time"])
		}
		inv["time"] = 0
		var args []string
		if err := json.Unmarshal([]byte(inv["arguments"].(string)), &args); err != nil {
			t.Errorf("arguments %v is not a JSON array in a string: %v", inv["arguments"], err)
		}
		if len(args) > 1 {
			args[1] = "masked"
		}
		a, _ := json.Marshal(args)
		inv["arguments"] = string(a)
	}
	out, _ := json.Marshal(body)
	return out
}

// The acceptance case as the issue words it: the simulated vCenter itself stops (its server
// closes, no proxy in between) and a ProviderDisconnected notification names it.
func TestNotificationWhenASimulatedVCenterStops(t *testing.T) {
	b := harness.Start(t, harness.Options{Simulators: 1, Tune: func(c *config.Config) {
		c.ZStack.Accounts = []config.ZStackAccount{{Name: "admin", PasswordSHA512: config.HashPassword(adminPass), AllProviders: true}}
		for i := range c.Providers {
			c.Providers[i].Options = map[string]string{"watch_max_wait": "1s"}
			c.Providers[i].Timeout = config.Duration(2 * time.Second)
		}
		c.Inventory.ScheduleInterval = config.Duration(200 * time.Millisecond)
	}})
	admin := login(t, b, "admin", adminPass)
	uuidOf(t, b, 0, "DC0_H0_VM0") // the provider is synced
	b.Sims[0].Close()
	n := waitNotification(t, b, admin, "ProviderDisconnected")
	if n.Type != "Warning" || !strings.Contains(n.Arguments, `"vc1"`) || !strings.Contains(n.Arguments, "connection refused") || n.Status != "Unread" {
		t.Errorf("notification of a stopped vCenter: %+v", n)
	}
}

package tenancy

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// routeCase says what tenant A tries on one route, or why the route is tenant-less.
type routeCase struct {
	why      string
	attempts func(t *testing.T, w *world) []attempt
}

// cases holds one entry per registered route, keyed "METHOD path" as gin lists it. A route
// added to the router without an entry here fails TestTenancy/routes.
var cases = map[string]routeCase{
	"GET /healthz": {"tenant-less: process liveness; checked: it names nothing of B", func(_ *testing.T, w *world) []attempt {
		return []attempt{{name: "with A's token", method: http.MethodGet, path: "/healthz", header: bearer(tokenA)}}
	}},
	"GET /readyz": {"tenant-less: Redis readiness; checked: it names nothing of B", func(_ *testing.T, w *world) []attempt {
		return []attempt{{name: "with A's token", method: http.MethodGet, path: "/readyz", header: bearer(tokenA)}}
	}},
	"GET /metrics": {"the operator's Prometheus scrape, behind http.metrics_token: A's token and none are refused", func(_ *testing.T, w *world) []attempt {
		return []attempt{
			{name: "A's token", method: http.MethodGet, path: "/metrics", header: bearer(tokenA), refuse: true},
			{name: "no token", method: http.MethodGet, path: "/metrics", refuse: true},
		}
	}},

	// The asynq queue UI: admin tokens only.
	"GET /admin/queues/*path":     {"queue UI, admin only: A's token is refused", queueUI(http.MethodGet, "/admin/queues/api/queues")},
	"HEAD /admin/queues/*path":    {"queue UI, admin only: A's token is refused", queueUI(http.MethodHead, "/admin/queues/api/queues")},
	"OPTIONS /admin/queues/*path": {"queue UI, admin only: A's token is refused", queueUI(http.MethodOptions, "/admin/queues/api/queues")},
	"POST /admin/queues/*path":    {"queue UI, admin only: A's token cannot pause the queue B's tasks wait in", queueUI(http.MethodPost, "/admin/queues/api/queues/default:pause")},
	"PUT /admin/queues/*path":     {"queue UI, admin only: A's token is refused", queueUI(http.MethodPut, "/admin/queues/api/queues/default:pause")},
	"PATCH /admin/queues/*path":   {"queue UI, admin only: A's token is refused", queueUI(http.MethodPatch, "/admin/queues/api/queues/default")},
	"CONNECT /admin/queues/*path": {"queue UI, admin only: A's token is refused", queueUI(http.MethodConnect, "/admin/queues/api/queues")},
	"TRACE /admin/queues/*path":   {"queue UI, admin only: A's token is refused", queueUI(http.MethodTrace, "/admin/queues/api/queues")},
	"DELETE /admin/queues/*path":  {"queue UI, admin only: A's token cannot delete B's tasks", queueUI(http.MethodDelete, "/admin/queues/api/queues/default/pending_tasks:delete_all")},

	// vCenter proxy.
	"POST /api/task/info": {"B's tasks of every dialect and state", func(_ *testing.T, w *world) []attempt {
		return w.eachTask(func(n namedID) attempt {
			return attempt{method: http.MethodPost, path: "/api/task/info", body: map[string]string{"taskid": n.id}, header: bearer(tokenA), refuse: true}
		})
	}},
	"POST /api/task/cancel": {"cancel B's tasks of every dialect and state", func(_ *testing.T, w *world) []attempt {
		return w.eachTask(func(n namedID) attempt {
			return attempt{method: http.MethodPost, path: "/api/task/cancel", body: map[string]string{"taskid": n.id}, header: bearer(tokenA), refuse: true}
		})
	}},
	"POST /api/vm/diskinfo": {"B's VMs (sync and async); A's VM through B's agent", func(_ *testing.T, w *world) []attempt {
		var out []attempt
		for _, vm := range []namedID{{"B's VM", w.vmB}, {"B's clone", w.cloneB}, {"B's template", w.tmplB}} {
			for _, mode := range []int{0, 1} {
				out = append(out, attempt{name: fmt.Sprintf("%s mode %d", vm.name, mode), method: http.MethodPost, path: "/api/vm/diskinfo",
					body: map[string]any{"vmid": vm.id, "mode": mode}, header: bearer(tokenA), refuse: true})
			}
		}
		return append(out, attempt{name: "A's VM via agent-b", method: http.MethodPost, path: "/api/vm/diskinfo",
			body: map[string]any{"vmid": w.vmA, "mode": 1, "clientid": agentB}, header: bearer(tokenA), refuse: true})
	}},
	"POST /api/vm/list": {"list, and filtered to B's provider and agent", func(_ *testing.T, w *world) []attempt {
		var out []attempt
		for _, f := range []map[string]any{{}, {"provider": "vc2"}, {"provider": siteB}, {"clientid": agentB}, {"limit": 1000}} {
			out = append(out, attempt{name: fmt.Sprint(f), method: http.MethodPost, path: "/api/vm/list", body: f, header: bearer(tokenA)})
		}
		return out
	}},
	"POST /api/agent/list": {"agents: B's agent-b must not be listed", func(_ *testing.T, w *world) []attempt {
		return []attempt{{method: http.MethodPost, path: "/api/agent/list", body: map[string]any{}, header: bearer(tokenA)}}
	}},
	"POST /api/provider/list": {"providers: vc2 and site-b must not be listed", func(_ *testing.T, w *world) []attempt {
		return []attempt{{method: http.MethodPost, path: "/api/provider/list", body: map[string]any{}, header: bearer(tokenA)}}
	}},

	// The web console (adapters/console): its page, and its API for the same tokens.
	"GET /ui/": {"tenant-less: the page, served without credentials; checked: it names nothing of B", func(_ *testing.T, w *world) []attempt {
		return []attempt{{name: "with A's token", method: http.MethodGet, path: "/ui/", header: bearer(tokenA)}}
	}},
	"GET /ui/assets/*file": {"tenant-less: the page's script and style; checked: they name nothing of B", func(_ *testing.T, w *world) []attempt {
		return []attempt{
			{name: "script", method: http.MethodGet, path: "/ui/assets/console.js", header: bearer(tokenA)},
			{name: "style", method: http.MethodGet, path: "/ui/assets/console.css"},
		}
	}},
	"GET /ui/api/overview": {"providers, agents and recent tasks: vc2, site-b, agent-b and B's tasks must not be listed", func(_ *testing.T, w *world) []attempt {
		return []attempt{
			{name: "default", method: http.MethodGet, path: "/ui/api/overview", header: bearer(tokenA)},
			{name: "every recent task", method: http.MethodGet, path: "/ui/api/overview?tasks=200", header: bearer(tokenA)},
		}
	}},
	"GET /ui/api/tasks/:id": {"B's tasks of every dialect and state, with each dialect's envelope", func(_ *testing.T, w *world) []attempt {
		return w.eachTask(func(n namedID) attempt {
			return attempt{method: http.MethodGet, path: "/ui/api/tasks/" + n.id, header: bearer(tokenA), refuse: true}
		})
	}},
	"POST /ui/api/tasks/:id/cancel": {"cancel B's tasks of every dialect and state from the console", func(_ *testing.T, w *world) []attempt {
		return w.eachTask(func(n namedID) attempt {
			return attempt{method: http.MethodPost, path: "/ui/api/tasks/" + n.id + "/cancel", body: map[string]any{}, header: bearer(tokenA), refuse: true}
		})
	}},
	"GET /ui/api/vms": {"VM searches naming B's VMs, clone, cluster, zone and tags", func(_ *testing.T, w *world) []attempt {
		var out []attempt
		for _, q := range []string{"", "q=name=" + cloneB, "q=uuid=" + w.vmB, "q=uuid=" + w.tmplB, "q=clusterUuid=" + w.cluster, "q=zoneUuid=" + w.zone,
			"q=__userTag__=" + userTagB, "q=__systemTag__=" + url.QueryEscape(sysTagB), "q=name~=tenant-b%25", "limit=500"} {
			out = append(out, attempt{name: q, method: http.MethodGet, path: "/ui/api/vms?" + q, header: bearer(tokenA)})
		}
		return out
	}},
	"POST /ui/api/vms/:id/clone": {"cloning B's VMs from the console", func(_ *testing.T, w *world) []attempt {
		var out []attempt
		for _, vm := range []namedID{{"B's VM", w.vmB}, {"B's clone", w.cloneB}, {"B's template", w.tmplB}} {
			out = append(out, attempt{name: vm.name, method: http.MethodPost, path: "/ui/api/vms/" + vm.id + "/clone",
				body: map[string]any{"names": []string{"a-steal"}}, header: bearer(tokenA), refuse: true})
		}
		return out
	}},

	// DiDi.
	"POST /dicloud/i/storage/cimg/list": {"images of A's region, of B's region, and B's template by name (its running task is a DiDi job)", func(_ *testing.T, w *world) []attempt {
		return []attempt{
			{name: "A's region", method: http.MethodPost, path: "/dicloud/i/storage/cimg/list", body: map[string]any{"regionId": "region-1", "limit": 100}, header: bearer(tokenA)},
			{name: "B's region", method: http.MethodPost, path: "/dicloud/i/storage/cimg/list", body: map[string]any{"regionId": regionB, "limit": 100}, header: bearer(tokenA), refuse: true},
			{name: "B's template by name", method: http.MethodPost, path: "/dicloud/i/storage/cimg/list",
				body: map[string]any{"regionId": "region-1", "limit": 100, "condition": map[string]any{"names": []string{templateB}}}, header: bearer(tokenA)},
		}
	}},

	// ZStack sessions.
	"PUT /zstack/v1/accounts/login": {"tenant-less: the credentials are the request; checked: A's login names nothing of B, B's account with A's password is refused", func(_ *testing.T, w *world) []attempt {
		return []attempt{
			{name: "A", method: http.MethodPut, path: "/zstack/v1/accounts/login", body: loginBody("tenant-a", passA)},
			{name: "B's account, A's password", method: http.MethodPut, path: "/zstack/v1/accounts/login", body: loginBody("tenant-b", passA), refuse: true},
		}
	}},
	"PUT /zstack/v1/accounts/users/login": {"tenant-less: the credentials are the request; checked: A's user logs in seeing nothing of B, and cannot log in under B's account", func(_ *testing.T, w *world) []attempt {
		return []attempt{
			{name: "alice", method: http.MethodPut, path: "/zstack/v1/accounts/users/login", body: userLoginBody("tenant-a", "alice", passAlice)},
			{name: "alice under B's account", method: http.MethodPut, path: "/zstack/v1/accounts/users/login", body: userLoginBody("tenant-b", "alice", passAlice), refuse: true},
		}
	}},
	"DELETE /zstack/v1/accounts/sessions/:uuid": {"tenant-less: LogOut's credential is the session uuid itself; checked: A ending its own session names nothing of B and B's session stays valid", func(t *testing.T, w *world) []attempt {
		s := w.login(t, "tenant-a", passA)
		return []attempt{{name: "A's own", method: http.MethodDelete, path: "/zstack/v1/accounts/sessions/" + s, header: oauth(s)}}
	}},
	"GET /zstack/v1/accounts/sessions/:uuid/valid": {"tenant-less: says whether a session uuid lives; checked: A's answer names nothing of B", func(_ *testing.T, w *world) []attempt {
		return []attempt{{name: "A's own", method: http.MethodGet, path: "/zstack/v1/accounts/sessions/" + w.sessA + "/valid"}}
	}},

	// ZStack VMs.
	"GET /zstack/v1/vm-instances": {"queries naming B's VMs, cluster, host, tags", func(_ *testing.T, w *world) []attempt {
		var out []attempt
		for _, q := range []string{"", "q=name=" + cloneB, "q=uuid=" + w.vmB, "q=clusterUuid=" + w.cluster, "q=zoneUuid=" + w.zone,
			"q=__userTag__=" + userTagB, "q=__systemTag__=" + url.QueryEscape(sysTagB), "q=name~=tenant-b%25", "groupBy=clusterUuid",
			"q=host.uuid=" + w.hostB, "q=host.clusterUuid=" + w.cluster} {
			out = append(out, attempt{name: q, method: http.MethodGet, path: "/zstack/v1/vm-instances?" + q, header: oauth(w.sessA)})
		}
		return out
	}},
	"GET /zstack/v1/vm-instances/:uuid": {"B's VMs by uuid", func(_ *testing.T, w *world) []attempt {
		return w.eachVM(http.MethodGet, "/zstack/v1/vm-instances/%s", nil, false)
	}},
	"GET /zstack/v1/vm-instances/:uuid/iso-candidates": {"ISO candidates of B's VMs", func(_ *testing.T, w *world) []attempt {
		return w.eachVM(http.MethodGet, "/zstack/v1/vm-instances/%s/iso-candidates", nil, true)
	}},
	"PUT /zstack/v1/vm-instances/:uuid/actions": {"actions on B's VMs; A's action on its VM with X-Job-UUID naming B's tasks", func(_ *testing.T, w *world) []attempt {
		var out []attempt
		for _, action := range []string{`{"stopVmInstance":{}}`, `{"startVmInstance":{}}`, `{"rebootVmInstance":{}}`, `{"cloneVmInstance":{"names":["a-steal"]}}`,
			`{"expungeVmInstance":{}}`, `{"recoverVmInstance":{}}`} {
			out = append(out, w.eachVM(http.MethodPut, "/zstack/v1/vm-instances/%s/actions", action, true)...)
		}
		return append(out, w.chosenIDs(func(id string) attempt {
			return attempt{method: http.MethodPut, path: "/zstack/v1/vm-instances/" + w.vmA + "/actions", body: `{"rebootVmInstance":{}}`, header: withJob(oauth(w.sessA), id)}
		})...)
	}},
	"POST /zstack/v1/vm-instances": {"CreateVmInstance from B's template, and placed in B's zone, cluster or on B's host", func(_ *testing.T, w *world) []attempt {
		create := func(name string, extra map[string]any) attempt {
			p := map[string]any{"name": "a-steal", "imageUuid": w.tmplB, "cpuNum": 1, "memorySize": 64 << 20}
			for k, v := range extra {
				p[k] = v
			}
			return attempt{name: name, method: http.MethodPost, path: "/zstack/v1/vm-instances", body: map[string]any{"params": p}, header: oauth(w.sessA), refuse: true}
		}
		return []attempt{
			create("B's template", nil),
			create("B's zone", map[string]any{"zoneUuid": w.zone}),
			create("B's cluster", map[string]any{"clusterUuid": w.cluster}),
			create("B's host", map[string]any{"hostUuid": w.hostB}),
		}
	}},
	"DELETE /zstack/v1/vm-instances/:uuid": {"DestroyVmInstance of B's VMs", func(_ *testing.T, w *world) []attempt {
		return w.eachVM(http.MethodDelete, "/zstack/v1/vm-instances/%s", nil, true)
	}},
	"GET /zstack/v1/api-jobs/:uuid": {"B's tasks of every dialect and state as api-jobs", func(_ *testing.T, w *world) []attempt {
		return w.eachTask(func(n namedID) attempt {
			return attempt{method: http.MethodGet, path: "/zstack/v1/api-jobs/" + n.id, header: oauth(w.sessA), refuse: true}
		})
	}},
	"GET /zstack/v1/task-progresses/:apiId": {"progress of B's tasks of every dialect and state", func(_ *testing.T, w *world) []attempt {
		return w.eachTask(func(n namedID) attempt {
			return attempt{method: http.MethodGet, path: "/zstack/v1/task-progresses/" + n.id + "?all=true", header: oauth(w.sessA), refuse: true}
		})
	}},

	// Long jobs.
	"POST /zstack/v1/longjobs": {"A's long job under resourceUuid / X-Job-UUID naming B's tasks; long jobs on B's VMs", func(_ *testing.T, w *world) []attempt {
		reboot := func(resource string) map[string]any {
			p := map[string]any{"name": "a-job", "jobName": "APIRebootVmInstanceMsg", "jobData": fmt.Sprintf(`{"uuid":%q}`, w.vmA)}
			if resource != "" {
				p["resourceUuid"] = resource
			}
			return map[string]any{"params": p}
		}
		out := w.chosenIDs(func(id string) attempt {
			return attempt{name: "resourceUuid", method: http.MethodPost, path: "/zstack/v1/longjobs", body: reboot(id), header: oauth(w.sessA)}
		})
		out = append(out, w.chosenIDs(func(id string) attempt {
			return attempt{name: "X-Job-UUID", method: http.MethodPost, path: "/zstack/v1/longjobs", body: reboot(""), header: withJob(oauth(w.sessA), id)}
		})...)
		for _, jd := range []string{fmt.Sprintf(`{"uuid":%q}`, w.vmB), fmt.Sprintf(`{"vmInstanceUuid":%q,"names":["a-steal"]}`, w.vmB)} {
			name := "APIRebootVmInstanceMsg"
			if strings.Contains(jd, "names") {
				name = "APICloneVmInstanceMsg"
			}
			out = append(out, attempt{name: name + " on B's VM", method: http.MethodPost, path: "/zstack/v1/longjobs",
				body: map[string]any{"params": map[string]any{"name": "a-job", "jobName": name, "jobData": jd}}, header: oauth(w.sessA), refuse: true})
		}
		return out
	}},
	"GET /zstack/v1/longjobs": {"queries naming B's long jobs", func(_ *testing.T, w *world) []attempt {
		var out []attempt
		for _, q := range []string{"", "q=uuid=" + w.lj.done, "q=uuid=" + w.lj.live, "q=name~=tenant-b%25", "q=targetResourceUuid=" + w.vmB} {
			out = append(out, attempt{name: q, method: http.MethodGet, path: "/zstack/v1/longjobs?" + q, header: oauth(w.sessA)})
		}
		return out
	}},
	"GET /zstack/v1/longjobs/:uuid": {"B's tasks of every dialect and state as long jobs", func(_ *testing.T, w *world) []attempt {
		return w.eachTask(func(n namedID) attempt {
			return attempt{method: http.MethodGet, path: "/zstack/v1/longjobs/" + n.id, header: oauth(w.sessA)}
		})
	}},
	"PUT /zstack/v1/longjobs/:uuid/actions": {"cancelLongJob on B's tasks of every dialect and state", func(_ *testing.T, w *world) []attempt {
		return w.eachTask(func(n namedID) attempt {
			return attempt{method: http.MethodPut, path: "/zstack/v1/longjobs/" + n.id + "/actions", body: `{"cancelLongJob":{}}`, header: oauth(w.sessA), refuse: true}
		})
	}},
	"DELETE /zstack/v1/longjobs/:uuid": {"DeleteLongJob on B's tasks of every dialect and state (may succeed as a no-op; B's view must not change)", func(_ *testing.T, w *world) []attempt {
		return w.eachTask(func(n namedID) attempt {
			return attempt{method: http.MethodDelete, path: "/zstack/v1/longjobs/" + n.id, header: oauth(w.sessA)}
		})
	}},

	// Tags.
	"GET /zstack/v1/system-tags":       {"queries naming B's VM and tag", tagQueries("system-tags")},
	"GET /zstack/v1/user-tags":         {"queries naming B's VM and tag", tagQueries("user-tags")},
	"GET /zstack/v1/system-tags/:uuid": {"B's tags by uuid", tagByUUID("system-tags")},
	"GET /zstack/v1/user-tags/:uuid":   {"B's tags by uuid", tagByUUID("user-tags")},
	"POST /zstack/v1/system-tags":      {"tags on B's VMs and host; A's tag under X-Job-UUID naming B's tasks", tagCreate("system-tags")},
	"POST /zstack/v1/user-tags":        {"tags on B's VMs and host; A's tag under X-Job-UUID naming B's tasks", tagCreate("user-tags")},
	"PUT /zstack/v1/system-tags/:uuid/actions": {"updateSystemTag on B's tags", func(_ *testing.T, w *world) []attempt {
		var out []attempt
		for _, id := range []string{w.tagSys, w.tagUser} {
			out = append(out, attempt{name: id, method: http.MethodPut, path: "/zstack/v1/system-tags/" + id + "/actions",
				body: map[string]any{"updateSystemTag": map[string]string{"tag": "a-took-it"}}, header: oauth(w.sessA), refuse: true})
		}
		return out
	}},
	"DELETE /zstack/v1/tags/:uuid": {"DeleteTag on B's tags (a no-op success, as ZStack's deletes; B's tags must stay)", func(_ *testing.T, w *world) []attempt {
		var out []attempt
		for _, id := range []string{w.tagSys, w.tagUser} {
			for _, mode := range []string{"Permissive", "Enforcing"} {
				out = append(out, attempt{name: mode, method: http.MethodDelete, path: "/zstack/v1/tags/" + id + "?deleteMode=" + mode, header: oauth(w.sessA)})
			}
		}
		return out
	}},

	// Notifications.
	"GET /zstack/v1/notifications": {"list, and queries naming B's notifications and resources", func(_ *testing.T, w *world) []attempt {
		out := []attempt{{name: "all", method: http.MethodGet, path: "/zstack/v1/notifications", header: oauth(w.sessA)},
			{name: "resourceUuid", method: http.MethodGet, path: "/zstack/v1/notifications?q=resourceUuid=" + w.vmB, header: oauth(w.sessA)}}
		for _, id := range w.notes {
			out = append(out, attempt{name: "uuid", method: http.MethodGet, path: "/zstack/v1/notifications?q=uuid=" + id, header: oauth(w.sessA)})
		}
		return out
	}},
	"GET /zstack/v1/notifications/:uuid": {"B's notifications by uuid", func(_ *testing.T, w *world) []attempt {
		var out []attempt
		for _, id := range w.notes {
			out = append(out, attempt{method: http.MethodGet, path: "/zstack/v1/notifications/" + id, header: oauth(w.sessA)})
		}
		return out
	}},
	"PUT /zstack/v1/notifications/actions": {"marking B's notifications Read (ignored, as ZStack does; B's must not change)", func(_ *testing.T, w *world) []attempt {
		return []attempt{{method: http.MethodPut, path: "/zstack/v1/notifications/actions",
			body: map[string]any{"updateNotificationsStatus": map[string]any{"uuids": w.notes, "status": "Read"}}, header: oauth(w.sessA)}}
	}},
	"DELETE /zstack/v1/notifications": {"deleting B's notifications, in the body and in the query (ignored; B's must stay)", func(_ *testing.T, w *world) []attempt {
		return []attempt{
			{name: "body", method: http.MethodDelete, path: "/zstack/v1/notifications", body: map[string]any{"uuids": w.notes}, header: oauth(w.sessA)},
			{name: "query", method: http.MethodDelete, path: "/zstack/v1/notifications?uuids=" + strings.Join(w.notes, ","), header: oauth(w.sessA)},
		}
	}},

	// GC jobs: broker-wide records; each caller sees only its part of their results.
	"GET /zstack/v1/gc-jobs": {"the list: results must not name B's providers, VMs or tasks", func(_ *testing.T, w *world) []attempt {
		return []attempt{{method: http.MethodGet, path: "/zstack/v1/gc-jobs", header: oauth(w.sessA)}}
	}},
	"GET /zstack/v1/gc-jobs/:uuid": {"each job: its result must not name B's providers, VMs or tasks", func(_ *testing.T, w *world) []attempt {
		return w.eachGC(http.MethodGet, "/zstack/v1/gc-jobs/%s", nil, false)
	}},
	"PUT /zstack/v1/gc-jobs/:uuid/actions": {"A (not all-providers) triggering each job: refused", func(_ *testing.T, w *world) []attempt {
		return w.eachGC(http.MethodPut, "/zstack/v1/gc-jobs/%s/actions", `{"triggerGCJob":{}}`, true)
	}},
	"DELETE /zstack/v1/gc-jobs/:uuid": {"A (not all-providers) deleting each job: refused", func(_ *testing.T, w *world) []attempt {
		return w.eachGC(http.MethodDelete, "/zstack/v1/gc-jobs/%s", nil, true)
	}},

	// Capacity.
	"GET /zstack/v1/hosts/capacities/cpu-memory": {"capacity of B's host, cluster and zone (refused); all=true (A's hosts only)", func(_ *testing.T, w *world) []attempt {
		out := []attempt{{name: "all", method: http.MethodGet, path: "/zstack/v1/hosts/capacities/cpu-memory?all=true", header: oauth(w.sessA)}}
		for _, q := range []string{"hostUuids=" + w.hostB, "clusterUuids=" + w.cluster, "zoneUuids=" + w.zone} {
			out = append(out, attempt{name: q[:strings.Index(q, "=")], method: http.MethodGet, path: "/zstack/v1/hosts/capacities/cpu-memory?" + q, header: oauth(w.sessA), refuse: true})
		}
		return out
	}},

	// Management nodes (broker processes, not tenants' things) and readiness.
	"GET /zstack/v1/management-nodes": {"broker processes are not a tenant's; checked: nothing of B in them", func(_ *testing.T, w *world) []attempt {
		return []attempt{{method: http.MethodGet, path: "/zstack/v1/management-nodes", header: oauth(w.sessA)}}
	}},
	"GET /zstack/v1/management-nodes/:uuid": {"this node; checked: nothing of B in it", func(_ *testing.T, w *world) []attempt {
		return []attempt{{method: http.MethodGet, path: "/zstack/v1/management-nodes/" + w.nodeID, header: oauth(w.sessA)}}
	}},
	"GET /zstack/v1/management-nodes/ready": {"IsReadyToGo: B's providers (vc2 stalled, site-b's agent without a worker) must not be named to A", func(_ *testing.T, w *world) []attempt {
		return []attempt{
			{name: "this node", method: http.MethodGet, path: "/zstack/v1/management-nodes/ready", header: oauth(w.sessA)},
			{name: "managementNodeId", method: http.MethodGet, path: "/zstack/v1/management-nodes/ready?managementNodeId=" + w.nodeID, header: oauth(w.sessA)},
		}
	}},
	"PUT /zstack/v1/management-nodes/actions": {"getVersion (with A's session and without one) under X-Job-UUID naming B's tasks", func(_ *testing.T, w *world) []attempt {
		out := w.chosenIDs(func(id string) attempt {
			return attempt{name: "A's session", method: http.MethodPut, path: "/zstack/v1/management-nodes/actions", body: `{"getVersion":{}}`, header: withJob(oauth(w.sessA), id)}
		})
		return append(out, w.chosenIDs(func(id string) attempt {
			return attempt{name: "anonymous", method: http.MethodPut, path: "/zstack/v1/management-nodes/actions", body: `{"getCurrentTime":{}}`, header: withJob(nil, id)}
		})...)
	}},

	// Licence: broker-wide; only all-providers accounts change it.
	"GET /zstack/v1/licenses": {"broker-wide licence; checked: nothing of B in it", func(_ *testing.T, w *world) []attempt {
		return []attempt{{method: http.MethodGet, path: "/zstack/v1/licenses", header: oauth(w.sessA)}}
	}},
	"GET /zstack/v1/licenses/capabilities": {"broker-wide capabilities; checked: nothing of B in them", func(_ *testing.T, w *world) []attempt {
		return []attempt{{method: http.MethodGet, path: "/zstack/v1/licenses/capabilities", header: oauth(w.sessA)}}
	}},
	"PUT /zstack/v1/licenses/actions": {"reloadLicense by A: refused, also under X-Job-UUID naming B's tasks", func(_ *testing.T, w *world) []attempt {
		body := fmt.Sprintf(`{"reloadLicense":{"managementNodeUuids":[%q]}}`, w.nodeID)
		out := []attempt{{name: "plain", method: http.MethodPut, path: "/zstack/v1/licenses/actions", body: body, header: oauth(w.sessA), refuse: true}}
		return append(out, w.chosenIDs(func(id string) attempt {
			return attempt{method: http.MethodPut, path: "/zstack/v1/licenses/actions", body: body, header: withJob(oauth(w.sessA), id), refuse: true}
		})...)
	}},
	"PUT /zstack/v1/licenses/mn/:uuid/actions": {"updateLicense by A: refused", func(_ *testing.T, w *world) []attempt {
		return []attempt{{method: http.MethodPut, path: "/zstack/v1/licenses/mn/" + w.nodeID + "/actions",
			body: `{"updateLicense":{"license":"bm90IGEgbGljZW5jZQ=="}}`, header: oauth(w.sessA), refuse: true}}
	}},
}

func loginBody(account, password string) any {
	return map[string]any{"logInByAccount": map[string]string{"accountName": account, "password": hashPassword(password)}}
}

func userLoginBody(account, user, password string) any {
	return map[string]any{"logInByUser": map[string]string{"accountName": account, "userName": user, "password": hashPassword(password)}}
}

func withJob(header []string, id string) []string {
	return append(append([]string{}, header...), "X-Job-UUID", id)
}

// eachTask makes one attempt per B task (every dialect and state), named after it.
func (w *world) eachTask(f func(namedID) attempt) []attempt {
	var out []attempt
	for _, n := range w.tasks {
		a := f(n)
		a.name = strings.TrimSpace(a.name + " " + n.name)
		out = append(out, a)
	}
	return out
}

// chosenIDs makes one attempt per B task id chosen as A's own job's id. A must be refused,
// except for an expired task's id, which names nothing any more: A may have it, but B's view
// must not change.
func (w *world) chosenIDs(f func(id string) attempt) []attempt {
	return w.eachTask(func(n namedID) attempt {
		a := f(n.id)
		a.refuse = !w.expired[n.id]
		return a
	})
}

func (w *world) eachVM(method, pattern string, body any, refuse bool) []attempt {
	var out []attempt
	for _, vm := range []namedID{{"B's VM", w.vmB}, {"B's clone", w.cloneB}, {"B's template", w.tmplB}} {
		name := vm.name
		if body != nil {
			name = fmt.Sprint(body) + " " + name
		}
		out = append(out, attempt{name: name, method: method, path: fmt.Sprintf(pattern, vm.id), body: body, header: oauth(w.sessA), refuse: refuse})
	}
	return out
}

func (w *world) eachGC(method, pattern string, body any, refuse bool) []attempt {
	var out []attempt
	for _, id := range w.gcJobs {
		out = append(out, attempt{name: id, method: method, path: fmt.Sprintf(pattern, id), body: body, header: oauth(w.sessA), refuse: refuse})
	}
	return out
}

// queueUI tries the asynq UI with A's token, as Bearer and as Basic.
func queueUI(method, path string) func(*testing.T, *world) []attempt {
	return func(_ *testing.T, w *world) []attempt {
		return []attempt{
			{name: "Bearer", method: method, path: path, header: bearer(tokenA), refuse: true},
			{name: "Basic", method: method, path: path, header: []string{"Authorization", basic("tenant-a", tokenA)}, refuse: true},
		}
	}
}

func tagQueries(kind string) func(*testing.T, *world) []attempt {
	return func(_ *testing.T, w *world) []attempt {
		var out []attempt
		for _, q := range []string{"", "q=resourceUuid=" + w.vmB, "q=uuid=" + w.tagUser, "q=uuid=" + w.tagSys, "q=tag=" + url.QueryEscape(userTagB)} {
			out = append(out, attempt{name: q, method: http.MethodGet, path: "/zstack/v1/" + kind + "?" + q, header: oauth(w.sessA)})
		}
		return out
	}
}

func tagByUUID(kind string) func(*testing.T, *world) []attempt {
	return func(_ *testing.T, w *world) []attempt {
		return []attempt{
			{name: "user tag", method: http.MethodGet, path: "/zstack/v1/" + kind + "/" + w.tagUser, header: oauth(w.sessA)},
			{name: "system tag", method: http.MethodGet, path: "/zstack/v1/" + kind + "/" + w.tagSys, header: oauth(w.sessA)},
		}
	}
}

func tagCreate(kind string) func(*testing.T, *world) []attempt {
	return func(_ *testing.T, w *world) []attempt {
		params := func(rt, id, tag string) map[string]any {
			return map[string]any{"params": map[string]string{"resourceType": rt, "resourceUuid": id, "tag": tag}}
		}
		var out []attempt
		for _, vm := range []namedID{{"B's VM", w.vmB}, {"B's clone", w.cloneB}, {"B's template", w.tmplB}} {
			out = append(out, attempt{name: vm.name, method: http.MethodPost, path: "/zstack/v1/" + kind, body: params("VmInstanceVO", vm.id, "a::on-b"), header: oauth(w.sessA), refuse: true})
		}
		out = append(out, attempt{name: "B's host", method: http.MethodPost, path: "/zstack/v1/" + kind, body: params("HostVO", w.hostB, "a::on-b"), header: oauth(w.sessA), refuse: true})
		i := 0
		return append(out, w.chosenIDs(func(id string) attempt {
			i++ // a fresh text each time: a tag A did get is not "already on" for the next
			return attempt{name: "X-Job-UUID", method: http.MethodPost, path: "/zstack/v1/" + kind,
				body: params("VmInstanceVO", w.vmA, fmt.Sprintf("a::mine-%d", i)), header: withJob(oauth(w.sessA), id)}
		})...)
	}
}

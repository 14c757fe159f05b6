package tenancy

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// view is B's own reading of everything of B's A might change or delete: each read's status and
// answer, with the fields that move on their own (times, dates) removed.
type view map[string]reading

type reading struct {
	Code int
	Body any
}

// bView reads B's tasks (every dialect), jobs, long jobs, tags, notifications, progress, GC
// jobs, VMs' power states and B's session. (Not B's DiDi images: listing them needs vc2, which
// the suite keeps stalled.)
func (w *world) bView(t testing.TB) view {
	t.Helper()
	v := view{}
	read := func(key, method, path string, body any, header ...string) {
		code, out := w.raw(t, method, path, body, header...)
		var parsed any
		if err := json.Unmarshal(out, &parsed); err != nil {
			parsed = string(out)
		}
		v[key] = reading{Code: code, Body: scrub(parsed)}
	}
	for _, n := range w.tasks {
		read("task/info "+n.name, http.MethodPost, "/api/task/info", map[string]string{"taskid": n.id}, bearer(tokenB)...)
	}
	for _, id := range w.zsJobs {
		read("api-job "+id, http.MethodGet, "/zstack/v1/api-jobs/"+id, nil, oauth(w.sessB)...)
	}
	read("task-progress of the clone", http.MethodGet, "/zstack/v1/task-progresses/"+w.tasks[4].id+"?all=true", nil, oauth(w.sessB)...)
	read("longjobs", http.MethodGet, "/zstack/v1/longjobs", nil, oauth(w.sessB)...)
	read("user-tags", http.MethodGet, "/zstack/v1/user-tags", nil, oauth(w.sessB)...)
	read("system-tags", http.MethodGet, "/zstack/v1/system-tags", nil, oauth(w.sessB)...)
	read("notifications", http.MethodGet, "/zstack/v1/notifications", nil, oauth(w.sessB)...)
	read("session valid", http.MethodGet, "/zstack/v1/accounts/sessions/"+w.sessB+"/valid", nil)
	gc := map[string]any{}
	code, out := w.raw(t, http.MethodGet, "/zstack/v1/gc-jobs", nil, oauth(w.sessB)...)
	var jobs struct {
		Inventories []struct{ UUID, Name, State string }
	}
	_ = json.Unmarshal(out, &jobs)
	for _, j := range jobs.Inventories {
		gc[j.UUID] = j.Name + " " + j.State
	}
	v["gc jobs"] = reading{Code: code, Body: gc}
	power := map[string]any{}
	for _, vm := range w.listVMs(t, tokenB) {
		power[vm["vmid"].(string)] = vm["name"].(string) + " " + vm["power_state"].(string)
	}
	v["vm power states"] = reading{Code: http.StatusOK, Body: power}
	return v
}

// volatile are fields that change without anyone acting: clocks, and request ids.
func volatile(key string) bool {
	k := strings.ToLower(key)
	return strings.HasSuffix(k, "time") || strings.HasSuffix(k, "date") || k == "requestid" ||
		k == "heartbeat" || k == "time" || k == "updated_at" || k == "last_seen"
}

// scrub drops volatile fields, and reads a live task's message and state as "live": a task
// waiting behind vc2's stalled one flips between pending and retrying (provider busy).
func scrub(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if !volatile(k) {
				out[k] = scrub(e)
			}
		}
		if out["task_errcode"] == "202" {
			out["task_errmsg"] = "(live)"
		}
		if out["state"] == "Waiting" || out["state"] == "Running" {
			out["state"] = "(live)"
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = scrub(e)
		}
		return out
	}
	return v
}

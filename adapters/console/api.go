package console

import (
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// Page sizes: what the page asks for unless it says, and the most it may ask.
const (
	defaultTasks, defaultVMs = 50, 50
	maxVMs                   = 500
)

// apis names where each dialect answers a poll of a task, for the page's headings.
var apis = map[string]string{
	"vcproxy": "POST /api/task/info",
	"zstack":  "GET /zstack/v1/api-jobs/{uuid}",
	"didi":    "Job (as in cimg/list items)",
}

// overview is GET /ui/api/overview?tasks=N: the caller's providers, agents and recent tasks,
// the page's one poll.
func (s *Server) overview(c *gin.Context) {
	ctx, caller := c.Request.Context(), callerOf(c)
	n, err := intParam(c, "tasks", defaultTasks)
	if err != nil {
		s.fail(c, err)
		return
	}
	// Three reads, one answer: the first error is the page's.
	ps, perr := s.Broker.ProviderStatuses(ctx, caller)
	agents, aerr := s.Broker.Agents(ctx, caller)
	tasks, terr := s.Broker.RecentTasks(ctx, caller, n)
	if err := cmp.Or(perr, aerr, terr); err != nil {
		s.fail(c, err)
		return
	}
	out := struct {
		Caller    string         `json:"caller"`
		Providers []providerItem `json:"providers"`
		Agents    []agentItem    `json:"agents"`
		Tasks     []taskItem     `json:"tasks"`
	}{Caller: caller.Name, Providers: []providerItem{}, Agents: []agentItem{}, Tasks: []taskItem{}}
	for _, p := range ps {
		out.Providers = append(out.Providers, toProvider(p))
	}
	for _, a := range agents {
		it := agentItem{ClientID: a.ClientID, State: s.Broker.AgentState(a), Version: a.Version, Hostname: a.Hostname,
			Providers: []string{}, LastSeen: stamp(a.LastSeen)}
		for _, p := range a.Providers {
			it.Providers = append(it.Providers, p.Name)
		}
		out.Agents = append(out.Agents, it)
	}
	for _, t := range tasks {
		out.Tasks = append(out.Tasks, toTask(t))
	}
	c.JSON(http.StatusOK, out)
}

type envelope struct {
	Dialect string `json:"dialect"`
	API     string `json:"api"`
	Status  int    `json:"status"`
	Body    any    `json:"body"`
}

// task is GET /ui/api/tasks/{id}: the task, and the answer each dialect gives a poll of it.
func (s *Server) task(c *gin.Context) {
	t, err := s.Broker.Task(c.Request.Context(), callerOf(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	envs := make([]envelope, 0, len(s.views))
	for _, v := range s.views {
		code, body := v.TaskEnvelope(c, t)
		envs = append(envs, envelope{Dialect: v.Name(), API: apis[v.Name()], Status: code, Body: body})
	}
	c.JSON(http.StatusOK, gin.H{"task": toTask(t), "envelopes": envs})
}

// cancel is POST /ui/api/tasks/{id}/cancel: a queued task is removed, a running one stopped.
func (s *Server) cancel(c *gin.Context) {
	t, err := s.Broker.Cancel(c.Request.Context(), callerOf(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"task": toTask(t)})
}

// vms is GET /ui/api/vms: QueryVmInstance's query language (q=name~=web%25, q=state=Running,
// sort=-createDate, start, limit), searched as ZStack searches, answered in the console's rows.
func (s *Server) vms(c *gin.Context) {
	ctx, caller := c.Request.Context(), callerOf(c)
	v, _ := adapters.Query(c) // the edge has decoded it
	if v.Get("limit") == "" {
		v = maps.Clone(v)
		v.Set("limit", strconv.Itoa(defaultVMs))
	}
	q, err := s.query.VMQuery(ctx, caller, v)
	if err != nil {
		s.fail(c, err)
		return
	}
	if q.Limit == 0 || q.Limit > maxVMs {
		s.fail(c, model.Errorf(model.ErrInvalid, "limit must be between 1 and %d", maxVMs))
		return
	}
	res, err := s.Broker.QueryVMs(ctx, caller, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := struct {
		Total  int            `json:"total"`
		VMs    []vmItem       `json:"vms"`
		Failed []providerNote `json:"failed_providers"`
		Stale  []providerNote `json:"stale_providers"`
	}{Total: res.Total, VMs: []vmItem{}, Failed: []providerNote{}, Stale: []providerNote{}}
	for _, vm := range res.VMs {
		out.VMs = append(out.VMs, toVM(vm))
	}
	for _, f := range res.Failed {
		out.Failed = append(out.Failed, providerNote{Provider: f.Provider, Problem: adapters.PublicMessage(f.Err)})
	}
	for _, st := range res.Stale {
		out.Stale = append(out.Stale, providerNote{Provider: st.Provider, Problem: st.State + ": " + adapters.PublicText(st.LastError)})
	}
	c.JSON(http.StatusOK, out)
}

// clone is POST /ui/api/vms/{id}/clone {"names":[...],"power_on":false}: a clone task.
func (s *Server) clone(c *gin.Context) {
	var req struct {
		Names   []string `json:"names"`
		PowerOn bool     `json:"power_on"`
	}
	if err := s.bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	t, err := s.Broker.SubmitClone(c.Request.Context(), callerOf(c), c.Param("id"), broker.CloneRequest{Names: req.Names, PowerOn: req.PowerOn})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"task": toTask(t)})
}

// bind decodes a bounded JSON body, refusing fields the console does not know.
func (s *Server) bind(c *gin.Context, v any) error {
	body, err := adapters.ReadBody(c.Writer, c.Request, s.MaxBody)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return model.Errorf(model.ErrInvalid, "request body: %v", err)
	}
	return nil
}

// intParam reads an optional positive integer query parameter.
func intParam(c *gin.Context, name string, def int) (int, error) {
	v, _ := adapters.Query(c)
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > broker.MaxRecentTasks {
		return 0, model.Errorf(model.ErrInvalid, "%s must be an integer from 1 to %d", name, broker.MaxRecentTasks)
	}
	return n, nil
}

package zstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/broker/nodes"
)

// Management nodes are the running broker replicas (nodes.Store, heartbeats in Redis).

// managementNodeInventory is ZStack's ManagementNodeInventory.
type managementNodeInventory struct {
	UUID      string `json:"uuid"`
	HostName  string `json:"hostName"`
	JoinDate  string `json:"joinDate"`
	HeartBeat string `json:"heartBeat"`
}

// The management-node actions, by the body key that names them.
const (
	actGetVersion     = "getVersion"
	actGetCurrentTime = "getCurrentTime"
)

var nodeActionNames = []string{actGetCurrentTime, actGetVersion}

// anonymous is the caller of the APIs ZStack serves without a session (GetVersion,
// GetCurrentTime: the manual's curl sends no Authorization). It sees no provider and owns no
// job: without a session these APIs answer at once and write nothing to Redis, so anonymous
// calls cost no storage and no session-less poll of api-jobs ever finds anything. Its name is
// outside the "zstack:<account>" names sessions give, so it is never mistaken for an account.
var anonymous = model.Caller{Name: "zstack-anonymous"}

// isAnonymous reports whether the request came without a session (the edge's GuardOptional).
func isAnonymous(c *gin.Context) bool { return callerOf(c).Name == anonymous.Name }

// queryManagementNodes is GET /zstack/v1/management-nodes[/{uuid}] (QueryManagementNode): the
// replicas whose heartbeat is fresh.
func (s *Server) queryManagementNodes(c *gin.Context) {
	queryListed(c, "ManagementNode", s.o.Nodes.List, func(n nodes.Node) managementNodeInventory {
		return managementNodeInventory{UUID: n.UUID, HostName: n.HostName,
			JoinDate: s.r.date(n.JoinDate), HeartBeat: s.r.date(n.HeartBeat)}
	})
}

// currentTime is GetCurrentTime's answer; the names are ZStack's ("MillionSeconds" is its
// spelling of milliseconds).
type currentTime struct {
	MillionSeconds int64 `json:"MillionSeconds"`
	Seconds        int64 `json:"Seconds"`
}

// managementNodeActions is PUT /zstack/v1/management-nodes/actions: getVersion answers
// {"version": ...}, getCurrentTime {"currentTime": {...}} (this node's clock). With a session
// both are jobs, as every non-GET API (202, then the result from api-jobs). Without one they
// answer 200 with the result at once and keep nothing (see anonymous); the ZStack SDK reads
// that answer as it reads a finished job's, since it only polls when the body has a location.
func (s *Server) managementNodeActions(c *gin.Context) {
	raw, ok := s.body(c)
	if !ok {
		return
	}
	name, _, err := pickAction(raw, nodeActionNames, "management nodes")
	if err != nil {
		fail(c, err)
		return
	}
	var api string
	var op func(context.Context) (any, error)
	switch name {
	case actGetVersion:
		api, op = "GetVersion", func(context.Context) (any, error) {
			return gin.H{"version": s.o.Version}, nil
		}
	case actGetCurrentTime:
		api, op = "GetCurrentTime", func(context.Context) (any, error) {
			now := time.Now()
			return gin.H{"currentTime": currentTime{MillionSeconds: now.UnixMilli(), Seconds: now.Unix()}}, nil
		}
	}
	if isAnonymous(c) {
		s.answerNow(c, api, op)
		return
	}
	s.accept(c, api, nil, op)
}

// answerNow runs a session-less API and answers its result with 200. The job headers need a
// job, which only a session keeps, so they are refused rather than ignored: a caller that
// waits for its X-Web-Hook would otherwise wait forever.
func (s *Server) answerNow(c *gin.Context, api string, op func(context.Context) (any, error)) {
	for _, h := range []string{"X-Web-Hook", "X-Job-UUID"} {
		if c.GetHeader(h) != "" {
			fail(c, model.Errorf(model.ErrInvalid, "%s needs a session: without one, %s answers at once (200) and keeps no job; log in (PUT /zstack/v1/accounts/login) and send the session to use %s", h, api, h))
			return
		}
	}
	body, err := op(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, body)
}

// isReadyToGo is GET /zstack/v1/management-nodes/ready (IsReadyToGo): this node's uuid when it
// can do the caller's work (Redis answers, its heartbeat is registered, every provider the
// caller sees reachable), else a 503 that says what is not ready; other tenants' providers
// neither count nor appear. managementNodeId, if given, must be this node: readiness is
// what the node that serves the request sees.
func (s *Server) isReadyToGo(c *gin.Context) {
	ctx := c.Request.Context()
	if id := strings.ToLower(strings.TrimSpace(c.Query("managementNodeId"))); id != "" && id != s.o.NodeID {
		if !broker.IsUUID(id) {
			fail(c, model.Errorf(model.ErrInvalid, "invalid query parameter: managementNodeId %q is not a uuid", shorten(id)))
			return
		}
		if _, err := s.o.Nodes.Get(ctx, callerOf(c), id); err != nil {
			fail(c, err)
			return
		}
		fail(c, model.Errorf(model.ErrInvalid, "management node %s is another running replica; IsReadyToGo answers for the node that serves the request (%s): ask %s at its own address", id, s.o.NodeID, id))
		return
	}
	if _, err := s.o.Nodes.Get(ctx, callerOf(c), s.o.NodeID); err != nil {
		switch {
		case errors.Is(err, model.ErrNotFound):
			err = model.Errorf(model.ErrUnavailable, "not ready: management node %s has not registered its heartbeat in Redis yet", s.o.NodeID)
		case errors.Is(err, model.ErrUnavailable):
			err = fmt.Errorf("not ready: Redis does not answer: %w", err)
		}
		fail(c, err)
		return
	}
	if err := s.o.Nodes.Readiness(ctx, callerOf(c)); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"managementNodeId": s.o.NodeID})
}

// pickAction reads an actions body that names exactly one of known (plus systemTags/userTags,
// accepted and ignored), returning the action and its parameters. Anything else is a 400 that
// lists the known actions.
func pickAction(body []byte, known []string, resource string) (string, json.RawMessage, error) {
	list := strings.Join(known, ", ")
	if len(bytes.TrimSpace(body)) == 0 {
		return "", nil, model.Errorf(model.ErrInvalid, `the body must name one action, as in {"%s":{}}; actions on %s are %s`, known[0], resource, list)
	}
	var top map[string]json.RawMessage
	if err := decodeJSON(body, &top); err != nil {
		return "", nil, err
	}
	var found []string
	for _, k := range slices.Sorted(maps.Keys(top)) {
		switch {
		case slices.Contains(known, k):
			found = append(found, k)
		case !slices.Contains(bodyExtras, k):
			return "", nil, model.Errorf(model.ErrInvalid, "unknown action %q on %s; actions are %s", shorten(k), resource, list)
		}
	}
	switch len(found) {
	case 0:
		return "", nil, model.Errorf(model.ErrInvalid, "the body names no action; actions on %s are %s", resource, list)
	case 1:
		return found[0], top[found[0]], nil
	}
	return "", nil, model.Errorf(model.ErrInvalid, "the body names %d actions (%s); send one per request", len(found), strings.Join(found, ", "))
}

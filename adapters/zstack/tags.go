package zstack

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/broker/tags"
)

// The tag APIs (CreateSystemTag, QuerySystemTag, UpdateSystemTag, CreateUserTag, QueryUserTag,
// DeleteTag) over tags.Service, and the resource types tags can be put on.

// tagResources maps ZStack's resource types to the broker's resources: the one table knowing
// both names.
var tagResources = map[string]tags.Resource{
	"VmInstanceVO": tags.OnVM,
	"HostVO":       tags.OnHost,
	"ImageVO":      tags.OnImage,
}

var tagResourceTypes = slices.Sorted(maps.Keys(tagResources))

func tagResourceType(r tags.Resource) string {
	for name, res := range tagResources {
		if res == r {
			return name
		}
	}
	return string(r)
}

// systemTagInventory is ZStack's SystemTagInventory.
type systemTagInventory struct {
	Inherent     bool   `json:"inherent"`
	UUID         string `json:"uuid"`
	ResourceUUID string `json:"resourceUuid"`
	ResourceType string `json:"resourceType"`
	Tag          string `json:"tag"`
	Type         string `json:"type"`
	CreateDate   string `json:"createDate"`
	LastOpDate   string `json:"lastOpDate"`
}

// userTagInventory is ZStack's UserTagInventory (no inherent).
type userTagInventory struct {
	UUID         string `json:"uuid"`
	ResourceUUID string `json:"resourceUuid"`
	ResourceType string `json:"resourceType"`
	Tag          string `json:"tag"`
	Type         string `json:"type"`
	CreateDate   string `json:"createDate"`
	LastOpDate   string `json:"lastOpDate"`
}

func (r renderer) systemTag(t tags.Tag) systemTagInventory {
	return systemTagInventory{
		Inherent: t.Inherent, UUID: t.UUID, ResourceUUID: t.ResourceUUID, ResourceType: tagResourceType(t.Resource),
		Tag: t.Text, Type: string(t.Type), CreateDate: r.date(t.CreatedAt), LastOpDate: r.date(t.UpdatedAt),
	}
}

func (r renderer) userTag(t tags.Tag) userTagInventory {
	return userTagInventory{
		UUID: t.UUID, ResourceUUID: t.ResourceUUID, ResourceType: tagResourceType(t.Resource),
		Tag: t.Text, Type: string(t.Type), CreateDate: r.date(t.CreatedAt), LastOpDate: r.date(t.UpdatedAt),
	}
}

// tagsOrUnsupported is the tag service, or an error when this broker keeps no tags.
func (s *Server) tagsOrUnsupported() (*tags.Service, error) {
	if s.o.Tags == nil {
		return nil, model.Errorf(model.ErrUnsupported, "this broker keeps no tags")
	}
	return s.o.Tags, nil
}

// createTagParams are CreateSystemTag's and CreateUserTag's params.
type createTagParams struct {
	ResourceType string `json:"resourceType"`
	ResourceUUID string `json:"resourceUuid"`
	Tag          string `json:"tag"`
}

// parseCreateTag reads {"params":{resourceType, resourceUuid, tag}, "systemTags", "userTags"};
// every refusal names the field.
func parseCreateTag(body []byte, typ tags.Type) (tags.Spec, error) {
	raw, err := actionBody(body, "params")
	if err != nil {
		return tags.Spec{}, err
	}
	var p createTagParams
	if err := decodeStrict("params", raw, &p); err != nil {
		return tags.Spec{}, err
	}
	res, ok := tagResources[p.ResourceType]
	switch {
	case p.ResourceType == "":
		return tags.Spec{}, model.Errorf(model.ErrInvalid, "params.resourceType is required: one of %s", strings.Join(tagResourceTypes, ", "))
	case !ok:
		return tags.Spec{}, model.Errorf(model.ErrInvalid, "params.resourceType %q is not supported: tags can be put on %s", shorten(p.ResourceType), strings.Join(tagResourceTypes, ", "))
	case p.ResourceUUID == "":
		return tags.Spec{}, model.Errorf(model.ErrInvalid, "params.resourceUuid is required: the uuid of the %s to tag", p.ResourceType)
	case !broker.IsUUID(p.ResourceUUID):
		return tags.Spec{}, model.Errorf(model.ErrInvalid, "params.resourceUuid %q must be 32 lowercase hexadecimal characters", shorten(p.ResourceUUID))
	}
	if err := tags.CheckText(p.Tag); err != nil {
		return tags.Spec{}, model.Errorf(model.ErrInvalid, "params.%v", err)
	}
	return tags.Spec{Type: typ, Resource: res, ResourceUUID: p.ResourceUUID, Text: p.Tag}, nil
}

// actionBody returns the object under key in a body that may also hold systemTags, userTags
// and requestIp, as every ZStack API body may.
func actionBody(body []byte, key string) (json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := decodeJSON(body, &top); err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if k != key && !slices.Contains(bodyExtras, k) {
			return nil, model.Errorf(model.ErrInvalid, "unexpected key %q next to %s", shorten(k), key)
		}
	}
	raw, ok := top[key]
	if t := strings.TrimSpace(string(raw)); !ok || !strings.HasPrefix(t, "{") {
		return nil, model.Errorf(model.ErrInvalid, "%s is required: an object", key)
	}
	return raw, nil
}

// createSystemTag is POST /zstack/v1/system-tags (CreateSystemTag).
func (s *Server) createSystemTag(c *gin.Context) { s.createTag(c, tags.System) }

// createUserTag is POST /zstack/v1/user-tags (CreateUserTag).
func (s *Server) createUserTag(c *gin.Context) { s.createTag(c, tags.User) }

func (s *Server) createTag(c *gin.Context, typ tags.Type) {
	raw, ok := s.body(c)
	if !ok {
		return
	}
	spec, err := parseCreateTag(raw, typ)
	if err != nil {
		fail(c, err)
		return
	}
	svc, err := s.tagsOrUnsupported()
	if err != nil {
		fail(c, err)
		return
	}
	caller := callerOf(c)
	s.accept(c, "Create"+string(typ)+"Tag", spec, func(ctx context.Context) (any, error) {
		t, err := svc.Create(ctx, caller, spec)
		if err != nil {
			return nil, err
		}
		if typ == tags.System {
			return gin.H{"inventory": s.r.systemTag(t)}, nil
		}
		return gin.H{"inventory": s.r.userTag(t)}, nil
	})
}

// querySystemTags is GET /zstack/v1/system-tags[/{uuid}] (QuerySystemTag).
func (s *Server) querySystemTags(c *gin.Context) {
	q, found, ok := s.visibleTags(c, tags.System)
	if !ok {
		return
	}
	invs := make([]systemTagInventory, 0, len(found))
	for _, t := range found {
		invs = append(invs, s.r.systemTag(t))
	}
	queryList(c, q, invs, "SystemTag")
}

// queryUserTags is GET /zstack/v1/user-tags[/{uuid}] (QueryUserTag).
func (s *Server) queryUserTags(c *gin.Context) {
	q, found, ok := s.visibleTags(c, tags.User)
	if !ok {
		return
	}
	invs := make([]userTagInventory, 0, len(found))
	for _, t := range found {
		invs = append(invs, s.r.userTag(t))
	}
	queryList(c, q, invs, "UserTag")
}

// visibleTags parses a tag query and returns the caller's tags of a type, oldest first.
func (s *Server) visibleTags(c *gin.Context, typ tags.Type) (listQuery, []tags.Tag, bool) {
	q, err := parseListQuery(c)
	var svc *tags.Service
	if err == nil {
		svc, err = s.tagsOrUnsupported()
	}
	var all []tags.Tag
	if err == nil {
		all, err = svc.List(c.Request.Context(), callerOf(c))
	}
	if err != nil {
		fail(c, err)
		return q, nil, false
	}
	return q, slices.DeleteFunc(all, func(t tags.Tag) bool { return t.Type != typ }), true
}

// systemTagActions is PUT /zstack/v1/system-tags/{uuid}/actions: {"updateSystemTag":{"tag":...}}
// (UpdateSystemTag).
func (s *Server) systemTagActions(c *gin.Context) {
	body, ok := s.body(c)
	if !ok {
		return
	}
	raw, err := actionBody(body, "updateSystemTag")
	if err != nil {
		fail(c, err)
		return
	}
	var p struct {
		Tag string `json:"tag"`
	}
	if err := decodeStrict("updateSystemTag", raw, &p); err != nil {
		fail(c, err)
		return
	}
	id := c.Param("uuid")
	if err := tags.CheckText(p.Tag); err != nil {
		fail(c, model.Errorf(model.ErrInvalid, "updateSystemTag.%v", err))
		return
	}
	if !broker.IsUUID(id) {
		fail(c, model.Errorf(model.ErrInvalid, "system tag uuid %q must be 32 lowercase hexadecimal characters", shorten(id)))
		return
	}
	svc, err := s.tagsOrUnsupported()
	if err != nil {
		fail(c, err)
		return
	}
	caller := callerOf(c)
	s.accept(c, "UpdateSystemTag", gin.H{"uuid": id, "tag": p.Tag}, func(ctx context.Context) (any, error) {
		t, err := svc.UpdateSystem(ctx, caller, id, p.Tag)
		if err != nil {
			return nil, err
		}
		return gin.H{"inventory": s.r.systemTag(t)}, nil
	})
}

// deleteModes are DeleteTag's deleteMode values. Deleting a tag cannot be refused by anything
// else, so both delete it the same way.
var deleteModes = []string{"Permissive", "Enforcing"}

// deleteTag is DELETE /zstack/v1/tags/{uuid} (DeleteTag). deleteMode is read from the query
// string (as the Go SDK sends it) or a JSON body (as the manual lists it).
func (s *Server) deleteTag(c *gin.Context) {
	body, ok := s.body(c)
	if !ok {
		return
	}
	mode, err := deleteModeParam(c)
	if err != nil {
		fail(c, err)
		return
	}
	if strings.TrimSpace(string(body)) != "" {
		var p struct {
			DeleteMode string `json:"deleteMode"`
		}
		var top map[string]json.RawMessage
		if err := decodeJSON(body, &top); err != nil {
			fail(c, err)
			return
		}
		for _, k := range slices.Sorted(maps.Keys(top)) {
			if k != "deleteMode" && !slices.Contains(bodyExtras, k) {
				fail(c, model.Errorf(model.ErrInvalid, "unexpected key %q in DeleteTag's body; it takes deleteMode", shorten(k)))
				return
			}
		}
		if err := json.Unmarshal(body, &p); err != nil {
			fail(c, model.Errorf(model.ErrInvalid, "deleteMode: %s", adapters.DescribeJSONError(err)))
			return
		}
		if p.DeleteMode != "" {
			mode = p.DeleteMode
		}
	}
	if mode != "" && !slices.Contains(deleteModes, mode) {
		fail(c, model.Errorf(model.ErrInvalid, "deleteMode %q: must be %s", shorten(mode), strings.Join(deleteModes, " or ")))
		return
	}
	id := c.Param("uuid")
	if !broker.IsUUID(id) {
		fail(c, model.Errorf(model.ErrInvalid, "tag uuid %q must be 32 lowercase hexadecimal characters", shorten(id)))
		return
	}
	svc, err := s.tagsOrUnsupported()
	if err != nil {
		fail(c, err)
		return
	}
	caller := callerOf(c)
	s.accept(c, "DeleteTag", gin.H{"uuid": id, "deleteMode": mode}, func(ctx context.Context) (any, error) {
		if err := svc.Delete(ctx, caller, id); err != nil {
			return nil, err
		}
		return empty{}, nil
	})
}

package broker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"cloudbroker/broker/model"
)

// Tags are texts attached to the broker's normalized resources (VMs, hosts, images), of two
// types as in ZStack: system tags (configuration a program reads, such as
// "reservedMemory::1G") and user tags (labels people give). They live in a TagStore every
// replica reads, and query conditions select resources by them (ZStack's __systemTag__ and
// __userTag__).
//
// Who sees a tag: a tag belongs to the provider of its resource, so a caller sees, updates
// and deletes exactly the tags on resources of providers it sees. A tag's resource is checked
// when the tag is made, never again: a tag whose VM has since gone stays until it is deleted
// (it matches no VM any more, as the VM is not listed).

// TagType is a tag's type.
type TagType string

const (
	TagSystem TagType = "System"
	TagUser   TagType = "User"
)

// TagResource is the kind of resource a tag is on.
type TagResource string

const (
	TagOnVM    TagResource = "vm"
	TagOnHost  TagResource = "host"
	TagOnImage TagResource = "image"
)

// MaxTagLength bounds a tag's text in bytes (ZStack's tag column holds 2048 characters).
const MaxTagLength = 2048

// Tag is one tag.
type Tag struct {
	UUID         string      `json:"uuid"`
	Type         TagType     `json:"type"`
	Resource     TagResource `json:"resource"`
	ResourceUUID string      `json:"resourceUuid"`
	Text         string      `json:"tag"`
	// Inherent marks a tag the broker itself made (none yet): such a tag is not changed
	// through the API.
	Inherent bool `json:"inherent,omitempty"`
	// Provider is where the resource lives: it decides who sees the tag.
	Provider  string    `json:"provider"`
	Owner     string    `json:"owner,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// ErrDuplicateTag is returned (wrapped) for a tag its resource already has: same type, same
// text. ZStack refuses such duplicates; so does the broker, for both types, so that a tag's
// text names one tag on a resource.
var ErrDuplicateTag = fmt.Errorf("duplicated tag: %w", model.ErrInvalid)

// TagStore keeps tags where every replica reads them (queue.Tags in Redis). Its writes are
// atomic: no two tags of a resource ever have the same type and text.
type TagStore interface {
	// Create stores t, or returns an error wrapping ErrDuplicateTag naming the existing tag.
	Create(ctx context.Context, t Tag) error
	// Get returns an error wrapping model.ErrNotFound for an unknown uuid.
	Get(ctx context.Context, uuid string) (Tag, error)
	// All returns every tag, in no order.
	All(ctx context.Context) ([]Tag, error)
	// SetText changes a tag's text and UpdatedAt, refusing a duplicate as Create does;
	// model.ErrNotFound when the tag is gone.
	SetText(ctx context.Context, uuid, text string, at time.Time) (Tag, error)
	// Delete removes a tag; false when there was none.
	Delete(ctx context.Context, uuid string) (bool, error)
}

// TagSpec asks for a tag.
type TagSpec struct {
	Type         TagType
	Resource     TagResource
	ResourceUUID string
	Text         string
}

// Tags is the tag service.
type Tags struct {
	b     *Broker
	store TagStore
	now   func() time.Time
}

// NewTags returns the tag service over a store.
func NewTags(b *Broker, store TagStore) *Tags {
	return &Tags{b: b, store: store, now: time.Now}
}

// CheckTagText refuses a text that is empty, too long, not UTF-8 or holds control characters
// (a tag is one line, matched whole).
func CheckTagText(text string) error {
	switch {
	case strings.TrimSpace(text) == "":
		return model.Errorf(model.ErrInvalid, "tag is required: a non-empty text, as in reservedMemory::1G")
	case len(text) > MaxTagLength:
		return model.Errorf(model.ErrInvalid, "tag is %d bytes long; at most %d are allowed", len(text), MaxTagLength)
	case !utf8.ValidString(text):
		return model.Errorf(model.ErrInvalid, "tag is not valid UTF-8")
	case strings.ContainsFunc(text, unicode.IsControl):
		return model.Errorf(model.ErrInvalid, "tag must not contain control characters (newlines, tabs ...)")
	}
	return nil
}

// Create checks a tag's text and resource, then stores it. A resource the caller cannot see is
// refused exactly as one that does not exist; every refusal wraps model.ErrInvalid and stores
// nothing.
func (t *Tags) Create(ctx context.Context, c model.Caller, spec TagSpec) (Tag, error) {
	if spec.Type != TagSystem && spec.Type != TagUser {
		return Tag{}, model.Errorf(model.ErrInvalid, "tag type %q: must be %s or %s", spec.Type, TagSystem, TagUser)
	}
	if err := CheckTagText(spec.Text); err != nil {
		return Tag{}, err
	}
	if !IsUUID(spec.ResourceUUID) {
		return Tag{}, model.Errorf(model.ErrInvalid, "resourceUuid %q must be 32 lowercase hexadecimal characters", shortID(spec.ResourceUUID))
	}
	provider, err := t.locate(ctx, c, spec.Resource, spec.ResourceUUID)
	if err != nil {
		return Tag{}, err
	}
	now := t.now()
	tag := Tag{
		UUID: NewUUID(), Type: spec.Type, Resource: spec.Resource, ResourceUUID: spec.ResourceUUID,
		Text: spec.Text, Provider: provider, Owner: c.Name, CreatedAt: now, UpdatedAt: now,
	}
	if err := t.store.Create(ctx, tag); err != nil {
		return Tag{}, err
	}
	return tag, nil
}

// List returns the tags the caller sees, oldest first.
func (t *Tags) List(ctx context.Context, c model.Caller) ([]Tag, error) {
	all, err := t.store.All(ctx)
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(all, func(tag Tag) bool { return !c.Sees(tag.Provider) })
	slices.SortFunc(out, func(a, b Tag) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.UUID, b.UUID))
	})
	return out, nil
}

// Texts returns the texts of the caller's tags of one type on one kind of resource, by
// resource uuid: what query conditions on tags match against.
func (t *Tags) Texts(ctx context.Context, c model.Caller, typ TagType, on TagResource) (map[string][]string, error) {
	all, err := t.store.All(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, tag := range all {
		if tag.Type == typ && tag.Resource == on && c.Sees(tag.Provider) {
			out[tag.ResourceUUID] = append(out[tag.ResourceUUID], tag.Text)
		}
	}
	return out, nil
}

// get returns a tag the caller sees; one it does not see is not found, as one that never was.
func (t *Tags) get(ctx context.Context, c model.Caller, uuid string) (Tag, error) {
	tag, err := t.store.Get(ctx, uuid)
	if err == nil && !c.Sees(tag.Provider) {
		err = model.Errorf(model.ErrNotFound, "tag %s not found", uuid)
	}
	return tag, err
}

// UpdateSystem changes a system tag's text. An unknown tag, a user tag or one the caller cannot
// see is not found; a bad or duplicate text is refused (model.ErrInvalid) and changes nothing.
func (t *Tags) UpdateSystem(ctx context.Context, c model.Caller, uuid, text string) (Tag, error) {
	if err := CheckTagText(text); err != nil {
		return Tag{}, err
	}
	if !IsUUID(uuid) {
		return Tag{}, model.Errorf(model.ErrInvalid, "tag uuid %q must be 32 lowercase hexadecimal characters", shortID(uuid))
	}
	tag, err := t.get(ctx, c, uuid)
	if err != nil {
		return Tag{}, err
	}
	switch {
	case tag.Type != TagSystem:
		return Tag{}, model.Errorf(model.ErrNotFound, "system tag %s not found (it is a %s tag)", uuid, strings.ToLower(string(tag.Type)))
	case tag.Inherent:
		return Tag{}, model.Errorf(model.ErrInvalid, "system tag %s is inherent: the broker manages it", uuid)
	}
	return t.store.SetText(ctx, uuid, text, t.now())
}

// Delete removes a tag the caller sees. Deleting a tag that is not there (or that the caller
// cannot see) succeeds and changes nothing, as ZStack's delete APIs do: the caller learns
// nothing about other tenants' tags.
func (t *Tags) Delete(ctx context.Context, c model.Caller, uuid string) error {
	if !IsUUID(uuid) {
		return model.Errorf(model.ErrInvalid, "tag uuid %q must be 32 lowercase hexadecimal characters", shortID(uuid))
	}
	if _, err := t.get(ctx, c, uuid); err != nil {
		if errors.Is(err, model.ErrNotFound) {
			return nil
		}
		return err
	}
	_, err := t.store.Delete(ctx, uuid)
	return err
}

func shortID(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

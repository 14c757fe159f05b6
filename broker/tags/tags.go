// Package tags keeps texts attached to the broker's resources and selects resources by them.
package tags

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

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// Tags are texts attached to the broker's normalized resources (VMs, hosts, images), of two
// types: system tags (configuration a program reads, such as
// "reservedMemory::1G") and user tags (labels people give). They live in a Store every
// replica reads, and a dialect's query conditions select resources by them.
//
// Who sees a tag: a tag belongs to the provider of its resource, so a caller sees, updates
// and deletes exactly the tags on resources of providers it sees. A tag's resource is checked
// when the tag is made, never again: a tag whose VM has since gone stays until it is deleted
// (it matches no VM any more, as the VM is not listed).

// Type is a tag's type.
type Type string

const (
	System Type = "System"
	User   Type = "User"
)

// Resource is the kind of resource a tag is on.
type Resource string

const (
	OnVM    Resource = "vm"
	OnHost  Resource = "host"
	OnImage Resource = "image"
)

// MaxLength bounds a tag's text in bytes (ZStack's tag column holds 2048 characters).
const MaxLength = 2048

// Tag is one tag.
type Tag struct {
	UUID         string   `json:"uuid"`
	Type         Type     `json:"type"`
	Resource     Resource `json:"resource"`
	ResourceUUID string   `json:"resourceUuid"`
	Text         string   `json:"tag"`
	// Inherent marks a tag the broker itself made (none yet): such a tag is not changed
	// through the API.
	Inherent bool `json:"inherent,omitempty"`
	// Provider is where the resource lives: it decides who sees the tag.
	Provider  string    `json:"provider"`
	Owner     string    `json:"owner,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// ErrDuplicate is returned (wrapped) for a tag its resource already has: same type, same
// text. ZStack refuses such duplicates; so does the broker, for both types, so that a tag's
// text names one tag on a resource.
var ErrDuplicate = fmt.Errorf("duplicated tag: %w", model.ErrInvalid)

// Store keeps tags where every replica reads them (the queue package's Redis store). Its writes are
// atomic: no two tags of a resource ever have the same type and text.
type Store interface {
	// Create stores t, or returns an error wrapping ErrDuplicate naming the existing tag.
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

// Spec asks for a tag.
type Spec struct {
	Type         Type
	Resource     Resource
	ResourceUUID string
	Text         string
}

// Core is what tags need from the broker (*broker.Broker): finding the provider of the
// resource a tag is put on, among those the caller sees.
type Core interface {
	VM(ctx context.Context, c model.Caller, id string) (model.VM, error)
	HostProvider(ctx context.Context, c model.Caller, id string) (string, error)
	ImageProvider(ctx context.Context, c model.Caller, id string) (string, error)
}

// Deps are the service's dependencies besides its store.
type Deps struct {
	Core Core
}

// Service is the tag service.
type Service struct {
	store Store
	core  Core
	now   func() time.Time
}

// New returns the tag service over a store.
func New(store Store, d Deps) *Service {
	return &Service{store: store, core: d.Core, now: time.Now}
}

// CheckText refuses a text that is empty, too long, not UTF-8 or holds control characters
// (a tag is one line, matched whole).
func CheckText(text string) error {
	switch {
	case strings.TrimSpace(text) == "":
		return model.Errorf(model.ErrInvalid, "tag is required: a non-empty text, as in reservedMemory::1G")
	case len(text) > MaxLength:
		return model.Errorf(model.ErrInvalid, "tag is %d bytes long; at most %d are allowed", len(text), MaxLength)
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
func (s *Service) Create(ctx context.Context, c model.Caller, spec Spec) (Tag, error) {
	if spec.Type != System && spec.Type != User {
		return Tag{}, model.Errorf(model.ErrInvalid, "tag type %q: must be %s or %s", spec.Type, System, User)
	}
	if err := CheckText(spec.Text); err != nil {
		return Tag{}, err
	}
	if !broker.IsUUID(spec.ResourceUUID) {
		return Tag{}, model.Errorf(model.ErrInvalid, "resourceUuid %q must be 32 lowercase hexadecimal characters", shortID(spec.ResourceUUID))
	}
	provider, err := s.locate(ctx, c, spec.Resource, spec.ResourceUUID)
	if err != nil {
		return Tag{}, err
	}
	now := s.now()
	tag := Tag{
		UUID: broker.NewUUID(), Type: spec.Type, Resource: spec.Resource, ResourceUUID: spec.ResourceUUID,
		Text: spec.Text, Provider: provider, Owner: c.Name, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.Create(ctx, tag); err != nil {
		return Tag{}, err
	}
	return tag, nil
}

// List returns the tags the caller sees, oldest first.
func (s *Service) List(ctx context.Context, c model.Caller) ([]Tag, error) {
	all, err := s.store.All(ctx)
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
func (s *Service) Texts(ctx context.Context, c model.Caller, typ Type, on Resource) (map[string][]string, error) {
	all, err := s.store.All(ctx)
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
func (s *Service) get(ctx context.Context, c model.Caller, uuid string) (Tag, error) {
	tag, err := s.store.Get(ctx, uuid)
	if err == nil && !c.Sees(tag.Provider) {
		err = model.Errorf(model.ErrNotFound, "tag %s not found", uuid)
	}
	return tag, err
}

// UpdateSystem changes a system tag's text. An unknown tag, a user tag or one the caller cannot
// see is not found; a bad or duplicate text is refused (model.ErrInvalid) and changes nothing.
func (s *Service) UpdateSystem(ctx context.Context, c model.Caller, uuid, text string) (Tag, error) {
	if err := CheckText(text); err != nil {
		return Tag{}, err
	}
	if !broker.IsUUID(uuid) {
		return Tag{}, model.Errorf(model.ErrInvalid, "tag uuid %q must be 32 lowercase hexadecimal characters", shortID(uuid))
	}
	tag, err := s.get(ctx, c, uuid)
	if err != nil {
		return Tag{}, err
	}
	switch {
	case tag.Type != System:
		return Tag{}, model.Errorf(model.ErrNotFound, "system tag %s not found (it is a %s tag)", uuid, strings.ToLower(string(tag.Type)))
	case tag.Inherent:
		return Tag{}, model.Errorf(model.ErrInvalid, "system tag %s is inherent: the broker manages it", uuid)
	}
	return s.store.SetText(ctx, uuid, text, s.now())
}

// Delete removes a tag the caller sees. Deleting a tag that is not there (or that the caller
// cannot see) succeeds and changes nothing, as ZStack's delete APIs do: the caller learns
// nothing about other tenants' tags.
func (s *Service) Delete(ctx context.Context, c model.Caller, uuid string) error {
	if !broker.IsUUID(uuid) {
		return model.Errorf(model.ErrInvalid, "tag uuid %q must be 32 lowercase hexadecimal characters", shortID(uuid))
	}
	if _, err := s.get(ctx, c, uuid); err != nil {
		if errors.Is(err, model.ErrNotFound) {
			return nil
		}
		return err
	}
	_, err := s.store.Delete(ctx, uuid)
	return err
}

func shortID(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

package broker

import (
	"context"
	"time"

	"cloudbroker/broker/model"
)

// The image inventory (issue 17): every provider's images as last listed, kept in the shared
// store and followed in every replica's memory, so an image listing needs no task per request.
// One replica per provider refreshes the list every period (RefreshImages, scheduled in
// cmd/app); a list older than the inventory's maxAge (its refresher stopped) is not served,
// and a provider without a fresh list is listed live, as before, which also fills the
// inventory for the next request.

// ImageList is one provider's images as last listed, or why that listing failed.
type ImageList struct {
	Provider string        `json:"provider"`
	Images   []model.Image `json:"images,omitempty"`
	// Err is the failure of the last listing (its kind survives the store); Images is then
	// empty: a provider that cannot be listed is reported, not shown from an older list.
	Err    *model.TaskError `json:"err,omitempty"`
	Listed time.Time        `json:"listed"`
}

// ImageStore keeps the image lists where every replica reads them (redisstore.Images).
type ImageStore interface {
	// ClaimImageRefresh is true for one caller per provider per period: that replica lists
	// the provider now.
	ClaimImageRefresh(ctx context.Context, provider string, period time.Duration) (bool, error)
	// PutImages stores a list and tells every replica's follower.
	PutImages(ctx context.Context, l ImageList) error
	// FollowedImages is the provider's list as this replica follows it; ok is false when it
	// holds none.
	FollowedImages(provider string) (l ImageList, ok bool)
}

// imageInventory is the broker's use of an ImageStore.
type imageInventory struct {
	store  ImageStore
	maxAge time.Duration
	now    func() time.Time
}

// WithImages serves image listings from store; lists older than maxAge are listed live.
func (b *Broker) WithImages(store ImageStore, maxAge time.Duration) *Broker {
	b.images = &imageInventory{store: store, maxAge: maxAge, now: time.Now}
	return b
}

// RefreshImages lists the provider's images (a listing task on its queue, as any listing) and
// stores the list, or the failure, unless another replica holds this period's claim. It
// reports whether it listed.
func (b *Broker) RefreshImages(ctx context.Context, p model.Provider, period time.Duration) (bool, error) {
	if b.images == nil {
		return false, nil
	}
	mine, err := b.images.store.ClaimImageRefresh(ctx, p.Name, period)
	if err != nil || !mine {
		return false, err
	}
	imgs, err := b.listProviderImages(ctx, model.System, p)
	return true, b.images.put(ctx, p, imgs, err)
}

// imagesOf is a provider's images from the inventory if it holds a fresh list, else listed
// live for c (and stored).
func (b *Broker) imagesOf(ctx context.Context, c model.Caller, p model.Provider) ([]model.Image, error) {
	if b.images != nil {
		if l, ok := b.images.store.FollowedImages(p.Name); ok && b.images.now().Sub(l.Listed) < b.images.maxAge {
			if l.Err != nil {
				return nil, l.Err
			}
			return l.Images, nil
		}
	}
	imgs, err := b.listProviderImages(ctx, c, p)
	if b.images != nil && ctx.Err() == nil { // a caller gone is not the provider's failure
		if perr := b.images.put(ctx, p, imgs, err); perr != nil {
			b.log.Debug("image list not stored", "provider", p.Name, "err", perr)
		}
	}
	return imgs, err
}

func (i *imageInventory) put(ctx context.Context, p model.Provider, imgs []model.Image, err error) error {
	l := ImageList{Provider: p.Name, Images: imgs, Listed: i.now()}
	if err != nil {
		l.Images, l.Err = nil, model.NewTaskError(err)
	}
	return i.store.PutImages(ctx, l)
}

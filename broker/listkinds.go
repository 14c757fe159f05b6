package broker

import (
	"context"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// What each kind of the listings inventory (listinv.go) is: the capability that lists it, the
// listing task, and its field of a ProviderList. A new kind is one more listing value here,
// one field of ProviderList and one entry in listingKinds.

// listing describes one kind of list of items T.
type listing[T any] struct {
	kind ListKind
	has  func(model.Provider) bool
	// list runs the kind's listing task on the provider for the caller.
	list func(b *Broker, ctx context.Context, c model.Caller, p model.Provider) ([]T, error)
	// stamp marks a listed item with its provider.
	stamp func(item *T, provider string)
	// get and set are the kind's field of a ProviderList; get takes the list by value so
	// reading a followed list allocates nothing.
	get func(ProviderList) []T
	set func(*ProviderList, []T)
}

var (
	imageListing = listing[model.Image]{
		kind: ListImages, has: can[drivers.ImageCatalog], list: (*Broker).listProviderImages,
		stamp: func(img *model.Image, p string) { img.Provider, img.ID = p, ImageUUID(p, img.NativeID) },
		get:   func(l ProviderList) []model.Image { return l.Images },
		set:   func(l *ProviderList, items []model.Image) { l.Images = items },
	}
	hostListing = listing[model.Host]{
		kind: ListHosts, has: can[drivers.CapacityReporter], list: (*Broker).listProviderHosts,
		stamp: func(h *model.Host, p string) { h.Provider = p },
		get:   func(l ProviderList) []model.Host { return l.Hosts },
		set:   func(l *ProviderList, items []model.Host) { l.Hosts = items },
	}
	networkListing = listing[model.Network]{
		kind: ListNetworks, has: can[drivers.NetworkLister], list: (*Broker).listProviderNetworks,
		stamp: func(n *model.Network, p string) { n.Provider = p },
		get:   func(l ProviderList) []model.Network { return l.Networks },
		set:   func(l *ProviderList, items []model.Network) { l.Networks = items },
	}
	storageListing = listing[model.Storage]{
		kind: ListStorage, has: can[drivers.StorageLister], list: (*Broker).listProviderStorage,
		stamp: func(s *model.Storage, p string) { s.Provider = p },
		get:   func(l ProviderList) []model.Storage { return l.Storage },
		set:   func(l *ProviderList, items []model.Storage) { l.Storage = items },
	}
)

// listingKind is a listing of any item type, for what does not need its items: the
// refresher's loop over the kinds.
type listingKind interface {
	listKind() ListKind
	can(p model.Provider) bool
	refresh(ctx context.Context, b *Broker, p model.Provider) error
}

func (k listing[T]) listKind() ListKind        { return k.kind }
func (k listing[T]) can(p model.Provider) bool { return k.has(p) }

// listingKinds is every kind the inventory keeps; ListKinds orders them.
var listingKinds = map[ListKind]listingKind{
	ListImages: imageListing, ListHosts: hostListing, ListNetworks: networkListing, ListStorage: storageListing,
}

// ListKinds is every kind the listings inventory keeps, in a fixed order.
func ListKinds() []ListKind { return []ListKind{ListImages, ListHosts, ListNetworks, ListStorage} }

// Package catalog is the cloudbroker driver for custom-image catalogs that speak the DiDi open
// API's cimg/list call (POST <base>/dicloud/i/storage/cimg/list with a Bearer token). It
// registers itself as "catalog"; import it for its side effect:
//
//	import _ "cloudbroker/drivers/catalog"
//
// Another cloudbroker is such a catalog: its DiDi dialect answers that call, so a broker can
// federate another broker's images by configuring it as a catalog provider:
//
//	providers:
//	  - name: upstream
//	    driver: catalog
//	    url: https://broker-a.example:8080  # base URL; the cimg/list path is appended
//	    password: "<a token of broker A>"    # or options.token; env BROKER_PROVIDER_UPSTREAM_PASSWORD
//	    region: east                         # this broker's region for these images
//	    options: {region: bj}                # the regionId to ask the catalog for (required)
//
// The driver implements Ping and drivers.ImageCatalog; it reads all pages (start/limit) until
// the catalog's count is reached. Each HTTP call is bounded by Config.Timeout (default 30s).
package catalog

import (
	"context"
	"net/http"
	"sync/atomic"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// DriverName is the name the driver registers under.
const DriverName = "catalog"

func init() { drivers.RegisterOpener(DriverName, Open) }

// Conn is a connection to one catalog. It holds no session, only an HTTP client, so it is safe
// for concurrent use.
type Conn struct {
	set    settings
	http   *http.Client
	closed atomic.Bool
}

var (
	_ drivers.Conn         = (*Conn)(nil)
	_ drivers.ImageCatalog = (*Conn)(nil)
)

// Open is Driver.Open returning the concrete type.
func Open(ctx context.Context, cfg drivers.Config) (*Conn, error) {
	s, err := parseConfig(cfg)
	if err != nil {
		return nil, err
	}
	c := &Conn{set: s, http: newHTTPClient(s)}
	if err := c.Ping(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Ping asks the catalog for one item of the configured region: it proves the URL, the token and
// the region at once.
func (c *Conn) Ping(ctx context.Context) error {
	_, err := c.list(ctx, 0, 1)
	return err
}

// Close makes every later call fail; idle HTTP connections are released.
func (c *Conn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.http.CloseIdleConnections()
	}
	return nil
}

func (c *Conn) checkOpen() error {
	if c.closed.Load() {
		return model.Errorf(model.ErrInvalid, "catalog %s: connection is closed", c.set.provider)
	}
	return nil
}

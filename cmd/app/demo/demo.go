// Package demo is what `make run` (the broker without --config) runs beside the broker, so
// every part of cloudbroker can be seen with no setup: an in-process Redis, a simulated vCenter
// with a template and an ISO, a second simulated site served by an in-process proxy agent, and
// a catalog provider federating the broker's own images. cmd/broker runs it; its README test
// runs cmd/broker's same code.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"cloudbroker/cmd/app"
	"cloudbroker/config"
	"cloudbroker/drivers/vcenter/vcsim"
)

// Names the README's examples show.
const (
	VCenter     = "demo-vcenter" // the broker's own simulated vCenter
	Site        = "site-1"       // the agent's clientid
	SiteVCenter = "vc-site-1"    // the site's simulated vCenter, known only to the agent
	Catalog     = "demo-catalog" // the broker's own DiDi catalog, federated
	Template    = "centos7-template"
	ISO         = "iso/tools-1.0.iso"
	// CatalogRegion is where the federated images appear; a region of its own, so listing it
	// never asks the catalog for itself.
	CatalogRegion = "fed"
)

// Demo is the running simulators and the broker configuration that uses them.
type Demo struct {
	Config *config.Config
	main   *vcsim.Sim
	site   *vcsim.Sim
}

// Start starts both simulated vCenters and makes the broker's configuration for them.
func Start(ctx context.Context, getenv func(string) string) (_ *Demo, err error) {
	d := &Demo{}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.main, err = vcsim.Start(); err != nil {
		return nil, fmt.Errorf("demo vCenter simulator: %w", err)
	}
	if _, err = d.main.MakeTemplate(ctx, vcsim.Template{Source: "DC0_H0_VM0", Name: Template,
		GuestID: "centos7_64Guest", Annotation: "CentOS 7 base image"}); err != nil {
		return nil, err
	}
	if _, err = d.main.AddISO("LocalDS_0", ISO, 64<<10); err != nil {
		return nil, err
	}
	if d.site, err = siteSim(ctx); err != nil {
		return nil, err
	}
	d.Config = config.Demo(d.main.URL().String(), getenv)
	// The agent's provider is watched at the first schedule after its first heartbeat: every
	// second here, so the whole demo is ready within a few seconds.
	d.Config.Inventory.ScheduleInterval = config.Duration(time.Second)
	return d, nil
}

// AddCatalog adds the catalog provider that federates the broker's own DiDi list, at
// brokerURL (known once the broker listens).
func (d *Demo) AddCatalog(brokerURL string) {
	d.Config.Providers = append(d.Config.Providers, config.Provider{
		Name: Catalog, Driver: "catalog", URL: brokerURL, Password: d.Config.Auth.Tokens[0].Token,
		Region: CatalogRegion, Zones: []string{CatalogRegion + "-a"}, Options: map[string]string{"region": "demo"},
	})
	d.Config.SetDefaults()
}

// siteSim is the second site's vCenter; its VMs are renamed SITE1_* so that the two sites'
// VMs are told apart in every listing.
func siteSim(ctx context.Context) (*vcsim.Sim, error) {
	sim, err := vcsim.Start()
	if err != nil {
		return nil, fmt.Errorf("demo site simulator: %w", err)
	}
	for _, name := range []string{"DC0_H0_VM0", "DC0_H0_VM1", "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"} {
		if err := sim.Rename(ctx, name, "SITE1_"+strings.TrimPrefix(name, "DC0_")); err != nil {
			sim.Close()
			return nil, err
		}
	}
	return sim, nil
}

// StartAgent runs the site's agent in this process against the broker's Redis (its address
// is known once app.New has started the embedded one); stop ends it, draining its tasks.
func (d *Demo) StartAgent(log *slog.Logger) (stop func() error, err error) {
	ac := &config.Config{Redis: d.Config.Redis, Providers: []config.Provider{{
		Name: SiteVCenter, Driver: "vcenter", URL: d.site.URL().String(), Insecure: true,
		Region: "demo", Zones: []string{"demo-b"},
	}}}
	ac.SetDefaults()
	agent, err := app.NewAgent(ac, Site, log)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx) }()
	return func() error { cancel(); return <-done }, nil
}

// Close stops the simulators.
func (d *Demo) Close() {
	for _, s := range []*vcsim.Sim{d.main, d.site} {
		if s != nil {
			s.Close()
		}
	}
}

package harness

import "cloudbroker/config"

// KVMProvider is a libvirt provider of a harness broker, served by its in-process worker like
// the simulators. The test that names a daemon URI makes sure a daemon answers there
// (kvmtest.RequireDaemon for qemu:///system).
type KVMProvider struct {
	// Name is the provider's name, e.g. "kvm1"; it must not clash with vc1, vc2, ...
	Name string
	// URI is the libvirt URI: qemu:///system, or test:///<abs path>/node.xml for the test driver.
	URI string
	// Options are the driver's options (images_pool, shutdown_timeout, ...).
	Options map[string]string
}

func kvmProviders(ks []KVMProvider) []config.Provider {
	var ps []config.Provider
	for _, k := range ks {
		ps = append(ps, config.Provider{
			Name: k.Name, Driver: "kvm", URL: k.URI, Options: k.Options,
			Region: "region-1", Zones: []string{"zone-a"},
		})
	}
	return ps
}

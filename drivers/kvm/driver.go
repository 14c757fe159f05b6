// Package kvm is the broker's driver for libvirt hosts, on github.com/digitalocean/go-libvirt
// (pure Go, speaks libvirt's RPC protocol to libvirtd; no cgo, no libvirt.so).
//
// Config.URL is a libvirt URI: qemu:///system (the daemon's unix socket), test:///default or
// test:///<abs path>/node.xml (libvirt's test driver, reached through the daemon: each
// connection to a node file gets its own copy), <driver>+unix:///...?socket=<path>, or
// <driver>+tcp://host[:port]/system. Options: see the Opt* constants.
//
// A VM's native id is its domain UUID (36 characters); a domain name is accepted too.
package kvm

import (
	"context"

	"cloudbroker/drivers"
)

func init() { drivers.RegisterOpener("kvm", Open, drivers.Hypervisor(drivers.HypervisorKVM)) }

// Open connects to a libvirt daemon. It validates cfg and connects at once, so a wrong URI or
// a dead daemon shows up at start-up (wrapping model.ErrInvalid or model.ErrUnavailable) rather
// than on the first task.
func Open(ctx context.Context, cfg drivers.Config) (*Conn, error) {
	s, err := parseConfig(cfg)
	if err != nil {
		return nil, err
	}
	c := &Conn{set: s}
	if _, err := c.client(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

package govctest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

// NIC is one ethernet card of a VM as `govc device.info` reports it.
type NIC struct {
	// Type is the card's device type (VirtualVmxnet3, VirtualE1000).
	Type string
	// Network is the standard network's name (the backing's deviceName) or the name of the
	// distributed port group whose key backs the card.
	Network string
}

// NICs lists the ethernet cards of the VM named vm on the vCenter at url, in device order.
func NICs(t testing.TB, url, vm string) []NIC {
	t.Helper()
	var info struct {
		Devices []struct {
			Type    string `json:"type"`
			Backing struct {
				DeviceName string `json:"deviceName"`
				Port       struct {
					PortgroupKey string `json:"portgroupKey"`
				} `json:"port"`
			} `json:"backing"`
		} `json:"devices"`
	}
	run(t, url, &info, "device.info", "-json", "-vm", vm, "ethernet-*")
	var groups map[string]string
	out := make([]NIC, 0, len(info.Devices))
	for _, d := range info.Devices {
		n := NIC{Type: d.Type, Network: d.Backing.DeviceName}
		if k := d.Backing.Port.PortgroupKey; k != "" {
			if groups == nil {
				groups = portgroups(t, url)
			}
			n.Network = groups[k]
		}
		out = append(out, n)
	}
	return out
}

// portgroups maps each distributed port group's key to its name.
func portgroups(t testing.TB, url string) map[string]string {
	t.Helper()
	raw := govc(t, url, "object.collect", "-json", "-type", "DistributedVirtualPortgroup", "/", "name", "key")
	out := map[string]string{}
	// object.collect -json writes one object per port group, one after another.
	for dec := json.NewDecoder(bytes.NewReader(raw)); ; {
		var o struct {
			ChangeSet []struct {
				Name string `json:"name"`
				Val  string `json:"val"`
			} `json:"changeSet"`
		}
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("govc object.collect: %v\n%s", err, raw)
		}
		var name, key string
		for _, c := range o.ChangeSet {
			switch c.Name {
			case "name":
				name = c.Val
			case "key":
				key = c.Val
			}
		}
		out[key] = name
	}
}

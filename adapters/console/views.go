package console

import (
	"time"

	"cloudbroker/adapters"
	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// The console's own JSON: what the page shows, nothing a dialect promises.

type providerItem struct {
	Name      string   `json:"name"`
	Driver    string   `json:"driver"`
	ClientID  string   `json:"clientid"`
	Region    string   `json:"region"`
	Zones     []string `json:"zones"`
	SyncState string   `json:"sync_state"` // loading, synced, error; "" when never watched
	LastSync  string   `json:"last_sync"`  // RFC 3339, "" never
	LastError string   `json:"last_error"`
	VMs       int      `json:"vms"`
}

type agentItem struct {
	ClientID  string   `json:"clientid"`
	State     string   `json:"state"` // online, offline, stopped
	Version   string   `json:"version"`
	Hostname  string   `json:"hostname"`
	Providers []string `json:"providers"`
	LastSeen  string   `json:"last_seen"`
}

type taskItem struct {
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Describe string    `json:"describe"`
	State    string    `json:"state"`
	Provider string    `json:"provider"`
	ClientID string    `json:"clientid"`
	VMID     string    `json:"vmid"`
	Progress *progress `json:"progress"`
	Error    string    `json:"error"`
	Retried  int       `json:"retried"`
	Inserted string    `json:"inserted"`
	Updated  string    `json:"updated"`
}

type progress struct {
	Percent int    `json:"percent"`
	Step    string `json:"step"`
}

type vmItem struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	PowerState string   `json:"power_state"`
	Provider   string   `json:"provider"`
	CPUs       int32    `json:"cpus"`
	MemoryMB   int64    `json:"memory_mb"`
	GuestOS    string   `json:"guest_os"`
	IPs        []string `json:"ips"`
}

type providerNote struct {
	Provider string `json:"provider"`
	Problem  string `json:"problem"`
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func toProvider(p broker.ProviderStatus) providerItem {
	it := providerItem{Name: p.Name, Driver: p.Driver, ClientID: p.ClientID, Region: p.Region, Zones: append([]string{}, p.Zones...)}
	if st := p.Sync; st != nil {
		it.SyncState, it.LastSync, it.LastError, it.VMs = st.State, stamp(st.LastSync), adapters.PublicText(st.LastError), st.VMs
	}
	return it
}

func toTask(t broker.Task) taskItem {
	it := taskItem{ID: t.ID, Type: t.Spec.Type, Describe: t.Describe, State: string(t.State), Provider: t.Spec.Provider,
		ClientID: t.Spec.ClientID, VMID: t.Spec.VMID, Retried: t.Retried, Inserted: stamp(t.InsertTime), Updated: stamp(t.UpdateTime)}
	if p := t.Progress; p != nil {
		it.Progress = &progress{Percent: p.Percent, Step: p.Step}
	}
	switch {
	case t.State.Done() && t.Err != nil:
		it.Error = adapters.PublicMessage(t.Err)
	case t.State == broker.TaskRetrying:
		it.Error = adapters.PublicText(t.LastError)
	}
	return it
}

func toVM(vm model.VM) vmItem {
	it := vmItem{ID: vm.ID, Name: vm.Name, PowerState: string(vm.PowerState), Provider: vm.Provider, CPUs: vm.CPUs,
		MemoryMB: vm.MemoryMB, GuestOS: vm.GuestOS, IPs: []string{}}
	for _, n := range vm.NICs {
		it.IPs = append(it.IPs, n.IPs...)
	}
	return it
}

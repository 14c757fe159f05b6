package vcproxy

import (
	"cloudbroker/adapters"
	"cloudbroker/broker"
)

type vmItem struct {
	VMID       string `json:"vmid"`
	Name       string `json:"name"`
	PowerState string `json:"power_state"`
	Provider   string `json:"provider"`
	Clientid   string `json:"clientid"`
	NativeID   string `json:"native_id"`
	Template   bool   `json:"template"`
}

type providerFailure struct {
	Provider string `json:"provider"`
	Errcode  string `json:"errcode"`
	Errmsg   string `json:"errmsg"`
}

// staleProvider is a provider whose VMs come from an inventory whose last sync failed.
type staleProvider struct {
	Provider  string `json:"provider"`
	State     string `json:"state"`
	LastSync  int64  `json:"last_sync"` // unix seconds of the last complete sync
	LastError string `json:"last_error"`
}

type vmList struct {
	Total           int               `json:"total"`
	Offset          int               `json:"offset"`
	Limit           int               `json:"limit"`
	VMs             []vmItem          `json:"vms"`
	FailedProviders []providerFailure `json:"failed_providers"`
	StaleProviders  []staleProvider   `json:"stale_providers"`
}

func toVMList(p broker.VMPage, req vmListRequest, providers *broker.Providers) vmList {
	out := vmList{Total: p.Total, Offset: req.Offset, Limit: req.Limit, VMs: []vmItem{}, FailedProviders: []providerFailure{}, StaleProviders: []staleProvider{}}
	if out.Limit == 0 {
		out.Limit = broker.DefaultPageSize
	}
	for _, vm := range p.VMs {
		prov, _ := providers.Get(vm.Provider)
		out.VMs = append(out.VMs, vmItem{VMID: vm.ID, Name: vm.Name, PowerState: string(vm.PowerState),
			Provider: vm.Provider, Clientid: prov.ClientID, NativeID: vm.NativeID, Template: vm.Template})
	}
	for _, f := range p.Failed {
		_, code := status(f.Err)
		out.FailedProviders = append(out.FailedProviders, providerFailure{Provider: f.Provider, Errcode: code, Errmsg: adapters.PublicMessage(f.Err)})
	}
	for _, st := range p.Stale {
		out.StaleProviders = append(out.StaleProviders, staleProvider{Provider: st.Provider, State: st.State,
			LastSync: st.LastSync.Unix(), LastError: st.LastError})
	}
	return out
}

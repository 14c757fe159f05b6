package vcenter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/govctest"
)

// govc runs one govc command against sim with a clean GOVC_* environment and a private session
// cache, so a developer's own govc settings cannot leak in.
func govc(t *testing.T, bin string, sim *vcsim.Sim, args ...string) []byte {
	t.Helper()
	cmd := exec.CommandContext(testContext(t), bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOVC_") && !strings.HasPrefix(kv, "GOVMOMI_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"GOVC_URL="+sim.URL().String(),
		"GOVC_INSECURE=1",
		"GOVMOMI_HOME="+t.TempDir(),
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("govc %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// govcDevice is the part of `govc device.info -json` output the cross-check compares.
type govcDevice struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Key        int32  `json:"key"`
	DeviceInfo struct {
		Label string `json:"label"`
	} `json:"deviceInfo"`
	Backing struct {
		FileName  string `json:"fileName"`
		UUID      string `json:"uuid"`
		Datastore struct {
			Value string `json:"value"`
		} `json:"datastore"`
	} `json:"backing"`
	ControllerKey   int32  `json:"controllerKey"`
	UnitNumber      *int32 `json:"unitNumber"`
	BusNumber       int32  `json:"busNumber"`
	CapacityInKB    int64  `json:"capacityInKB"`
	CapacityInBytes int64  `json:"capacityInBytes"`
}

// govcDisks is what `govc device.info -json -vm <vm> 'disk-*'` reports, with controller type
// and bus looked up in govc's full device list.
func govcDisks(t *testing.T, bin string, sim *vcsim.Sim, vm string) []model.Disk {
	t.Helper()
	devices := func(args ...string) []govcDevice {
		var info struct{ Devices []govcDevice }
		out := govc(t, bin, sim, append([]string{"device.info", "-json", "-vm", vm}, args...)...)
		if err := json.Unmarshal(out, &info); err != nil {
			t.Fatalf("decode govc device.info: %v", err)
		}
		return info.Devices
	}
	ctls := map[int32]govcDevice{}
	for _, d := range devices() {
		ctls[d.Key] = d
	}
	var disks []model.Disk
	for _, d := range devices("disk-*") {
		if d.Type != "VirtualDisk" {
			t.Fatalf("govc matched %s (%s) with disk-*", d.Name, d.Type)
		}
		capacity := d.CapacityInBytes
		if capacity == 0 {
			capacity = d.CapacityInKB * 1024
		}
		disk := model.Disk{
			Key:           d.Key,
			Label:         d.DeviceInfo.Label,
			CapacityBytes: capacity,
			ControllerKey: d.ControllerKey,
			FileName:      d.Backing.FileName,
			UUID:          d.Backing.UUID,
			Format:        "vmdk",
			Storage:       govcName(t, bin, sim, "Datastore:"+d.Backing.Datastore.Value),
		}
		if d.UnitNumber != nil {
			disk.UnitNumber = *d.UnitNumber
		}
		ctl := ctls[d.ControllerKey]
		disk.BusNumber = ctl.BusNumber
		switch {
		case strings.Contains(ctl.Type, "SCSI") || ctl.Type == "VirtualLsiLogicController" || ctl.Type == "VirtualBusLogicController":
			disk.ControllerType = "scsi"
		case ctl.Type == "VirtualIDEController":
			disk.ControllerType = "ide"
		case ctl.Type == "VirtualAHCIController" || ctl.Type == "VirtualSATAController":
			disk.ControllerType = "sata"
		case ctl.Type == "VirtualNVMEController":
			disk.ControllerType = "nvme"
		}
		disks = append(disks, disk)
	}
	return disks
}

// govcName reads the name of a managed object ("Type:value") with govc.
func govcName(t *testing.T, bin string, sim *vcsim.Sim, ref string) string {
	t.Helper()
	return strings.TrimSpace(string(govc(t, bin, sim, "object.collect", "-s", ref, "name")))
}

// TestDisksMatchGovc checks ListDisks against govc, an independent client, on every VM of the
// model, one of them with extra SCSI and IDE disks that govc itself created.
func TestDisksMatchGovc(t *testing.T) {
	t.Parallel()
	bin := govctest.Path(t)
	sim := startSim(t)
	govc(t, bin, sim, "vm.disk.create", "-vm", "DC0_H0_VM1", "-name", "DC0_H0_VM1/data2", "-size", "20M")
	govc(t, bin, sim, "vm.disk.create", "-vm", "DC0_H0_VM1", "-name", "DC0_H0_VM1/data3", "-size", "1G", "-controller", "ide-200")
	c := openConn(t, sim)

	tests := []struct {
		vm        string
		wantDisks int
	}{
		{"DC0_H0_VM0", 1},
		{"DC0_H0_VM1", 3},
		{"DC0_C0_RP0_VM0", 1},
		{"DC0_C0_RP0_VM1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.vm, func(t *testing.T) {
			want := govcDisks(t, bin, sim, tt.vm)
			if len(want) != tt.wantDisks {
				t.Fatalf("govc reports %d disks, the test expects %d", len(want), tt.wantDisks)
			}
			got, err := c.ListDisks(context.Background(), vmID(t, sim, tt.vm))
			if err != nil {
				t.Fatalf("ListDisks: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ListDisks(%s) mismatch with govc (-want +got):\n%s", tt.vm, diff)
			}
		})
	}
}

// TestVMsMatchGovc checks ListVMs against `govc vm.info -json`, including a clone made by the
// driver and a powered-off VM.
func TestVMsMatchGovc(t *testing.T) {
	t.Parallel()
	bin := govctest.Path(t)
	sim := startSim(t)
	c := openConn(t, sim)
	ctx := testContext(t)
	if err := c.SetPower(ctx, vmID(t, sim, "DC0_H0_VM1"), model.PowerOff); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Clone(ctx, vmID(t, sim, fixtureVM), drivers.CloneSpec{Name: "govc-clone"}); err != nil {
		t.Fatal(err)
	}
	got, err := c.ListVMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"vm.info", "-json"}
	for _, vm := range got {
		names = append(names, vm.Name)
	}
	var info struct {
		VirtualMachines []struct {
			Self    struct{ Value string } `json:"self"`
			Name    string                 `json:"name"`
			Runtime struct {
				PowerState string                 `json:"powerState"`
				Host       struct{ Value string } `json:"host"`
			} `json:"runtime"`
			Config struct {
				Hardware struct {
					NumCPU   int32 `json:"numCPU"`
					MemoryMB int64 `json:"memoryMB"`
				} `json:"hardware"`
				GuestFullName string    `json:"guestFullName"`
				Template      bool      `json:"template"`
				CreateDate    time.Time `json:"createDate"`
				Modified      time.Time `json:"modified"`
				Annotation    string    `json:"annotation"`
			} `json:"config"`
		} `json:"virtualMachines"`
	}
	if err := json.Unmarshal(govc(t, bin, sim, names...), &info); err != nil {
		t.Fatal(err)
	}
	var want []model.VM
	for _, v := range info.VirtualMachines {
		want = append(want, model.VM{
			Provider: "test", NativeID: v.Self.Value, Name: v.Name,
			PowerState: model.PowerState(v.Runtime.PowerState), CPUs: v.Config.Hardware.NumCPU,
			MemoryMB: v.Config.Hardware.MemoryMB, GuestOS: v.Config.GuestFullName,
			Template: v.Config.Template, HostID: v.Runtime.Host.Value, CreatedAt: v.Config.CreateDate.UTC(),
			ModifiedAt: v.Config.Modified.UTC(), Description: v.Config.Annotation,
		})
	}
	opts := cmp.Options{
		cmpopts.IgnoreFields(model.VM{}, "NICs", "Disks"), // disks: TestDisksMatchGovc
		cmpopts.SortSlices(func(a, b model.VM) bool { return a.NativeID < b.NativeID }),
	}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("ListVMs mismatch with govc vm.info (-want +got):\n%s", diff)
	}
}

// TestHostsMatchGovc checks ListHosts against `govc host.info -json`.
func TestHostsMatchGovc(t *testing.T) {
	t.Parallel()
	bin := govctest.Path(t)
	sim := startSim(t)
	got, err := openConn(t, sim).ListHosts(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	var want []model.Host
	for _, p := range strings.Fields(string(govc(t, bin, sim, "find", "/", "-type", "h"))) {
		var info struct {
			HostSystems []struct {
				Self    struct{ Value string } `json:"self"`
				Name    string                 `json:"name"`
				Runtime struct {
					ConnectionState string `json:"connectionState"`
				} `json:"runtime"`
				Summary struct {
					Hardware struct {
						NumCPUCores int32 `json:"numCpuCores"`
						CPUMhz      int32 `json:"cpuMhz"`
						MemorySize  int64 `json:"memorySize"`
					} `json:"hardware"`
					QuickStats struct {
						OverallMemoryUsage int64 `json:"overallMemoryUsage"`
					} `json:"quickStats"`
				} `json:"summary"`
			} `json:"hostSystems"`
		}
		if err := json.Unmarshal(govc(t, bin, sim, "host.info", "-json", "-host", p), &info); err != nil {
			t.Fatal(err)
		}
		for _, h := range info.HostSystems {
			hw := h.Summary.Hardware
			want = append(want, model.Host{
				Provider: "test", NativeID: h.Self.Value, Name: h.Name, State: h.Runtime.ConnectionState,
				CPUs: hw.NumCPUCores, CPUMHz: hw.CPUMhz, MemoryBytes: hw.MemorySize,
				FreeMemoryBytes: hw.MemorySize - h.Summary.QuickStats.OverallMemoryUsage<<20,
			})
		}
	}
	sortHosts := cmpopts.SortSlices(func(a, b model.Host) bool { return a.NativeID < b.NativeID })
	// host.info does not read the management address; TestHostManagementIP checks it and Status.
	ignore := cmpopts.IgnoreFields(model.Host{}, "ManagementIP", "Status")
	if diff := cmp.Diff(want, got, sortHosts, ignore); diff != "" {
		t.Errorf("ListHosts mismatch with govc host.info (-want +got):\n%s", diff)
	}
}

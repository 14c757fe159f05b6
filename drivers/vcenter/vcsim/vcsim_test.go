package vcsim_test

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/drivers/vcenter/vcsim"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func login(t *testing.T, sim *vcsim.Sim) *govmomi.Client {
	t.Helper()
	c, err := govmomi.NewClient(ctxT(t), sim.URL(), true)
	if err != nil {
		t.Fatalf("login to %s: %v", sim.URL().Redacted(), err)
	}
	t.Cleanup(func() { _ = c.Logout(context.Background()) })
	return c
}

func count(t *testing.T, c *govmomi.Client, kind string) int {
	t.Helper()
	ctx := ctxT(t)
	v, err := view.NewManager(c.Client).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{kind}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Destroy(ctx)
	var objs []mo.ManagedEntity
	if err := v.Retrieve(ctx, []string{kind}, []string{"name"}, &objs); err != nil {
		t.Fatal(err)
	}
	return len(objs)
}

func TestStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []vcsim.Option
		user       string
		vms, hosts int
	}{
		{"default VPX model", nil, vcsim.DefaultUser, 4, 4},
		{"extra VMs", []vcsim.Option{vcsim.WithVMs(3)}, vcsim.DefaultUser, 7, 4},
		{"hosts and datacenters", []vcsim.Option{vcsim.WithHosts(2), vcsim.WithDatacenters(2)}, vcsim.DefaultUser, 8, 6},
		{"credentials", []vcsim.Option{vcsim.WithCredentials("admin", "s3cret")}, "admin", 4, 4},
		{"bulk VMs", []vcsim.Option{vcsim.WithBulkVMs(5)}, vcsim.DefaultUser, 9, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, err := vcsim.Start(tt.opts...)
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			defer sim.Close()
			u := sim.URL()
			if u.Scheme != "https" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.User.Username() != tt.user {
				t.Errorf("URL = %s, want https://%s:***@127.0.0.1:<port>/sdk", u.Redacted(), tt.user)
			}
			c := login(t, sim)
			got := map[string]int{"vms": count(t, c, "VirtualMachine"), "hosts": count(t, c, "HostSystem")}
			want := map[string]int{"vms": tt.vms, "hosts": tt.hosts}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("inventory (-want +got):\n%s", diff)
			}
			cfg := sim.Config("demo")
			if cfg.Username != tt.user || cfg.Password == "" || !cfg.Insecure || cfg.Name != "demo" {
				t.Errorf("Config = %+v", cfg)
			}
		})
	}
}

func TestWrongCredentialsRejected(t *testing.T) {
	t.Parallel()
	sim, err := vcsim.Start(vcsim.WithCredentials("admin", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	u := sim.URL()
	u.User = nil
	c, err := govmomi.NewClient(ctxT(t), u, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctxT(t), nil); err == nil {
		t.Fatal("login without credentials succeeded")
	}
}

func TestAddISOAndDropSessions(t *testing.T) {
	t.Parallel()
	sim, err := vcsim.Start(vcsim.WithDatacenters(2))
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	p, err := sim.AddISO("DC1/LocalDS_0", "iso/demo.iso", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if p != "[LocalDS_0] iso/demo.iso" {
		t.Errorf("AddISO path = %q", p)
	}
	dir, ok := sim.DatastoreDir("DC1/LocalDS_0")
	if !ok {
		t.Fatal("no DC1/LocalDS_0")
	}
	if fi, err := os.Stat(dir + "/iso/demo.iso"); err != nil || fi.Size() != 1<<20 {
		t.Errorf("iso file: %v, %v", fi, err)
	}
	if dc0, _ := sim.DatastoreDir("LocalDS_0"); dc0 == dir {
		t.Error("bare LocalDS_0 should name DC0's datastore")
	}

	c := login(t, sim)
	n, err := sim.DropSessions(ctxT(t))
	if err != nil || n != 1 {
		t.Fatalf("DropSessions = %d, %v; want 1", n, err)
	}
	if _, err := methods.GetCurrentTime(ctxT(t), c); err == nil {
		t.Error("a call on a dropped session succeeded")
	}
	if _, err := sim.VMID(ctxT(t), "DC1_H0_VM0"); err != nil {
		t.Errorf("VMID: %v", err)
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	sim, err := vcsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := sim.DatastoreDir("LocalDS_0")
	sim.Close()
	sim.Close() // idempotent
	if _, err := net.DialTimeout("tcp", sim.URL().Host, time.Second); err == nil {
		t.Error("simulator still accepts connections after Close")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("datastore dir %s still exists after Close (%v)", dir, err)
	}
}

// TestBulkVMs: bulk copies are full VMs with their own identity (uuid, MAC, disk file) that the
// API lists, powers off, renames and destroys like any other, without touching the source.
func TestBulkVMs(t *testing.T) {
	t.Parallel()
	start := time.Now()
	sim, err := vcsim.Start(vcsim.WithBulkVMs(200))
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	t.Logf("simulator with 204 VMs started in %v", time.Since(start).Round(time.Millisecond))
	c := login(t, sim)
	ctx := ctxT(t)
	v, err := view.NewManager(c.Client).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Destroy(ctx)
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "config", "runtime.powerState", "runtime.host", "resourcePool", "parent"}, &vms); err != nil {
		t.Fatal(err)
	}
	if len(vms) != 204 {
		t.Fatalf("%d VMs, want 204", len(vms))
	}
	seen := map[string]string{}
	unique := func(kind, val, vm string) {
		if other, dup := seen[kind+val]; dup {
			t.Errorf("%s %s of %s repeats %s's", kind, val, vm, other)
		}
		seen[kind+val] = vm
	}
	var src, bulk7 *mo.VirtualMachine
	for i := range vms {
		vm := &vms[i]
		unique("name", vm.Name, vm.Name)
		unique("uuid", vm.Config.Uuid, vm.Name)
		unique("instance uuid", vm.Config.InstanceUuid, vm.Name)
		unique("vmx", vm.Config.Files.VmPathName, vm.Name)
		for _, d := range vm.Config.Hardware.Device {
			switch d := d.(type) {
			case *types.VirtualDisk:
				unique("disk", d.Backing.(*types.VirtualDiskFlatVer2BackingInfo).FileName, vm.Name)
			case types.BaseVirtualEthernetCard:
				unique("mac", d.GetVirtualEthernetCard().MacAddress, vm.Name)
			}
		}
		switch vm.Name {
		case vcsim.BulkSource:
			src = vm
		case "DC0_BULK_VM7":
			bulk7 = vm
		}
	}
	if src == nil || bulk7 == nil {
		t.Fatal("source or DC0_BULK_VM7 missing")
	}
	if bulk7.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn || *bulk7.Runtime.Host != *src.Runtime.Host ||
		*bulk7.ResourcePool != *src.ResourcePool || *bulk7.Parent != *src.Parent ||
		len(bulk7.Config.Hardware.Device) != len(src.Config.Hardware.Device) || bulk7.Config.Hardware.NumCPU != src.Config.Hardware.NumCPU {
		t.Errorf("DC0_BULK_VM7 is not placed and built like %s", vcsim.BulkSource)
	}

	vm := object.NewVirtualMachine(c.Client, bulk7.Self)
	wait := func(what string, task *object.Task, err error) {
		t.Helper()
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	task, err := vm.PowerOff(ctx)
	wait("power off", task, err)
	task, err = vm.Rename(ctx, "bulk-renamed")
	wait("rename", task, err)
	var after mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"name", "runtime.powerState"}, &after); err != nil {
		t.Fatal(err)
	}
	if after.Name != "bulk-renamed" || after.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
		t.Errorf("after power off and rename: %s %s", after.Name, after.Runtime.PowerState)
	}
	var srcNow mo.VirtualMachine
	if err := vm.Properties(ctx, src.Self, []string{"name", "runtime.powerState"}, &srcNow); err != nil {
		t.Fatal(err)
	}
	if srcNow.Name != vcsim.BulkSource || srcNow.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("changing a copy changed the source: %s %s", srcNow.Name, srcNow.Runtime.PowerState)
	}
	task, err = vm.Destroy(ctx)
	wait("destroy", task, err)
	if n := count(t, c, "VirtualMachine"); n != 203 {
		t.Errorf("%d VMs after destroying one, want 203", n)
	}
}

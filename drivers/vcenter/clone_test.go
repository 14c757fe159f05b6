package vcenter_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

func TestClone(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	c := openConn(t, sim)
	template := makeTemplate(t, sim, govmomiClient(t, sim), fixtureVM, "tpl-centos", "centos7_64Guest", "")
	tests := []struct {
		name    string
		src     string
		powerOn bool
		want    model.PowerState
	}{
		{"vm, left off", vmID(t, sim, fixtureVM), false, model.PoweredOff},
		{"vm, powered on", vmID(t, sim, fixtureVM), true, model.PoweredOn},
		{"template, powered on", template, true, model.PoweredOn}, // a template has no pool of its own
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			var progress []int
			name := "clone-" + string(rune('a'+i))
			vm, err := c.Clone(ctx, tt.src, drivers.CloneSpec{
				Name: name, PowerOn: tt.powerOn,
				Progress: func(p int) { progress = append(progress, p) },
			})
			if err != nil {
				t.Fatalf("Clone: %v", err)
			}
			if vm.Name != name || vm.PowerState != tt.want || vm.Template || vm.NativeID == tt.src || vm.HostID == "" {
				t.Errorf("clone = %+v, want %s %s, not a template", vm, name, tt.want)
			}
			if len(progress) == 0 || progress[len(progress)-1] != 100 || !slices.IsSorted(progress) {
				t.Errorf("progress reports %v, want rising to 100", progress)
			}

			// Clone returns the VM exactly as ListVMs shows it.
			all, err := c.ListVMs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(all, func(v model.VM) bool { return v.NativeID == vm.NativeID })
			if i < 0 {
				t.Fatalf("clone %s not in ListVMs", vm.NativeID)
			}
			if diff := cmp.Diff(all[i], vm); diff != "" {
				t.Errorf("Clone result differs from ListVMs (-ListVMs +Clone):\n%s", diff)
			}

			src, err := c.ListDisks(ctx, tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if len(vm.Disks) != len(src) {
				t.Fatalf("clone has %d disks, source %d", len(vm.Disks), len(src))
			}
			for j, d := range vm.Disks {
				if d.FileName == src[j].FileName || d.UUID == src[j].UUID || d.CapacityBytes != src[j].CapacityBytes {
					t.Errorf("clone disk %+v vs source %+v: want a new file and uuid of the same size", d, src[j])
				}
			}
		})
	}
}

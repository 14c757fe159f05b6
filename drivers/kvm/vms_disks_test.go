package kvm_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/drivers/kvm/kvmtest"
)

// TestListVMsDisks: every listed VM carries its disks exactly as ListDisks reads them (the
// ZStack QueryVolume renders them from the VM inventory), and virsh domblklist names the same
// targets and sources. The watch builds VMs the same way: TestWatch compares its load with
// ListVMs.
func TestListVMsDisks(t *testing.T) {
	requireDaemon(t, "virsh")
	uri := nodeURI(t)
	c := openURI(t, uri)
	vms, err := c.ListVMs(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(vms) != 3 {
		t.Fatalf("ListVMs returned %d VMs, want the fixture's 3", len(vms))
	}
	for _, vm := range vms {
		t.Run(vm.Name, func(t *testing.T) {
			want, err := c.ListDisks(ctx(t), vm.NativeID)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatal("ListDisks found no disk: the fixture gives every VM one")
			}
			if diff := cmp.Diff(want, vm.Disks); diff != "" {
				t.Errorf("ListVMs disks differ from ListDisks (-ListDisks +ListVMs):\n%s", diff)
			}
			var got []kvmtest.BlkRow
			for _, d := range vm.Disks {
				// A volume disk's FileName is pool/volume; domblklist shows the volume.
				src := d.FileName
				if d.Storage != "" {
					src = strings.TrimPrefix(src, d.Storage+"/")
				}
				got = append(got, kvmtest.BlkRow{Target: d.Target, Source: src})
			}
			if diff := cmp.Diff(kvmtest.DomBlkList(t, uri, vm.Name), got); diff != "" {
				t.Errorf("ListVMs disks vs virsh domblklist (-virsh +driver):\n%s", diff)
			}
		})
	}
}

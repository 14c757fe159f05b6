package vcsim_test

import (
	"testing"

	"cloudbroker/drivers/vcenter/vcsim"
)

// A renamed VM keeps its moref and is found only by its new name.
func TestRename(t *testing.T) {
	t.Parallel()
	sim, err := vcsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	before, err := sim.VMID(ctxT(t), "DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Rename(ctxT(t), "DC0_H0_VM0", "SITE1_H0_VM0"); err != nil {
		t.Fatal(err)
	}
	if after, err := sim.VMID(ctxT(t), "SITE1_H0_VM0"); err != nil || after != before {
		t.Errorf("VMID(new name) = %q, %v; want %q", after, err, before)
	}
	if _, err := sim.VMID(ctxT(t), "DC0_H0_VM0"); err == nil {
		t.Error("the old name still finds a VM")
	}
	if err := sim.Rename(ctxT(t), "no-such-vm", "x"); err == nil {
		t.Error("renaming a VM that does not exist succeeded")
	}
}

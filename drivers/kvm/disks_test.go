package kvm_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
)

func TestListDisks(t *testing.T) {
	web1 := []model.Disk{
		{
			Key: 0, Label: "Hard disk 1", CapacityBytes: 10 << 30, ControllerType: "virtio",
			FileName: "data/web-1-root.qcow2", Format: "qcow2", Target: "vda", Storage: "data",
			// Name-based UUID of the domain UUID and "vda": must never change between releases.
			UUID: "fe6b2523-7101-54a9-918f-4cdf63f3e060",
		},
		{
			Key: 1, Label: "Hard disk 2", CapacityBytes: 20 << 30, ControllerType: "scsi",
			UnitNumber: 1, FileName: "/data/web-1-data.img", Format: "raw", Target: "sdb", Storage: "data",
			UUID: "DATA-0001",
		},
	}
	tests := []struct {
		name    string
		id      string
		want    []model.Disk
		wantErr error
	}{
		{"by uuid, cdrom left out", web1UUID, web1, nil},
		{"by name", "web-1", web1, nil},
		{"shut off vm", db1UUID, []model.Disk{{
			Key: 0, Label: "Hard disk 1", CapacityBytes: 5 << 30, ControllerType: "virtio",
			FileName: "data/db-1-root.qcow2", Format: "qcow2", Target: "vda", Storage: "data",
			UUID: "8c11328e-0295-5824-b8ca-d9d157e5c468",
		}}, nil},
		{"file outside every pool: size from the hypervisor", orphanUUID, []model.Disk{{
			Key: 0, Label: "Hard disk 1", ControllerType: "ide", FileName: "/scratch/orphan.img",
			Format: "raw", Target: "hda", UUID: "898eae89-47c7-5979-baf4-16120dc1612d",
			CapacityBytes: 1099506450432, // the test driver's made-up DomainGetBlockInfo answer
		}}, nil},
		{"unknown uuid", "00000000-0000-0000-0000-000000000001", nil, model.ErrNotFound},
		{"unknown name", "no-such-vm", nil, model.ErrNotFound},
		{"empty id", "", nil, model.ErrInvalid},
	}
	c := openNode(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.ListDisks(ctx(t), tt.id)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ListDisks(%q) error = %v, want %v", tt.id, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ListDisks(%q) mismatch (-want +got):\n%s", tt.id, diff)
			}
		})
	}
}

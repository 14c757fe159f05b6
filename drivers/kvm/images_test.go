package kvm_test

import (
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/drivers/kvm"
)

func iso(path, name string, size int64) model.Image {
	return model.Image{
		Provider: "lab", NativeID: path, Name: name, MediaType: "ISO", Format: "iso",
		SizeBytes: size, ActualBytes: size, URL: path, Status: "Ready",
	}
}

func TestListISOs(t *testing.T) {
	tests := []struct {
		name    string
		vm      string
		want    []model.Image
		wantErr error
	}{
		{"across pools", web1UUID, []model.Image{
			iso("/images/alpine-3.20.iso", "alpine-3.20.iso", 216006656),
			iso("/data/debian-12.iso", "debian-12.iso", 658505728),
		}, nil},
		{"unknown vm", "no-such-vm", nil, model.ErrNotFound},
	}
	c := openNode(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.ListISOs(ctx(t), tt.vm)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ListISOs error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ListISOs mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListImages(t *testing.T) {
	requireDaemon(t)
	tests := []struct {
		name    string
		opts    map[string]string
		want    []model.Image
		wantErr error
	}{
		{"default images pool", nil, []model.Image{
			iso("/images/alpine-3.20.iso", "alpine-3.20.iso", 216006656),
			{
				Provider: "lab", NativeID: "/images/debian-12-genericcloud.qcow2", Name: "debian-12-genericcloud.qcow2",
				MediaType: "RootVolumeTemplate", Format: "qcow2", SizeBytes: 2 << 30, ActualBytes: 429916160,
				URL: "/images/debian-12-genericcloud.qcow2", Status: "Ready",
			},
		}, nil},
		{"missing pool", map[string]string{kvm.OptImagesPool: "nope"}, nil, model.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := openNode(t, tt.opts).ListImages(ctx(t))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ListImages error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ListImages mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListHosts(t *testing.T) {
	name, err := os.Hostname() // the test driver reports the daemon's host name
	if err != nil {
		t.Fatal(err)
	}
	got, err := openNode(t).ListHosts(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	// A node file has no NUMA cells, so the test driver cannot report free memory: left 0.
	// Its capabilities always describe an i686 host; a local URI is managed at 127.0.0.1.
	want := []model.Host{{
		Provider: "lab", NativeID: name, Name: name, State: "Connected", Status: "Connected",
		CPUs: 4, CPUMHz: 2400, MemoryBytes: 8 << 30, ManagementIP: "127.0.0.1", Architecture: "i686",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListHosts mismatch (-want +got):\n%s", diff)
	}
}

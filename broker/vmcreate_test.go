package broker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

func TestCreateRequestValidate(t *testing.T) {
	ok := CreateRequest{Name: "vm", Image: "0123456789abcdef0123456789abcdef", CPUs: 1, MemoryMB: 64}
	if err := ok.validate(); err != nil {
		t.Fatalf("valid request refused: %v", err)
	}
	for _, tc := range []struct {
		name    string
		change  func(*CreateRequest)
		mention string
	}{
		{"no name", func(r *CreateRequest) { r.Name = "" }, "name is required"},
		{"spaces", func(r *CreateRequest) { r.Name = " vm" }, "leading or trailing spaces"},
		{"long name", func(r *CreateRequest) { r.Name = strings.Repeat("x", MaxNameLength+1) }, "at most"},
		{"no image", func(r *CreateRequest) { r.Image = "" }, "image is required"},
		{"bad image", func(r *CreateRequest) { r.Image = "vm-42" }, "not a uuid"},
		{"no cpu", func(r *CreateRequest) { r.CPUs = 0 }, "cpus"},
		{"no memory", func(r *CreateRequest) { r.MemoryMB = -1 }, "memory"},
		{"bad host", func(r *CreateRequest) { r.Host = "host-1" }, "host"},
		{"unnamed network", func(r *CreateRequest) { r.Networks = []CreateNetwork{{Provider: "lab", As: "l3-1"}} }, "network 1 (l3-1) names no network"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.change(&r)
			err := r.validate()
			if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("validate() = %v, want an invalid-request error mentioning %q", err, tc.mention)
			}
		})
	}
}

// creatorConn records the spec a create reached the driver with.
type creatorConn struct {
	fakeConn
	got drivers.CreateSpec
}

func (c *creatorConn) Create(_ context.Context, spec drivers.CreateSpec) (model.VM, error) {
	c.got = spec
	return model.VM{NativeID: "vm-9", Name: spec.Name}, nil
}

// TestRunCreateNetworks: the task's network names reach the driver in order.
func TestRunCreateNetworks(t *testing.T) {
	args, _ := json.Marshal(createArgs{Name: "vm", Image: "tpl-1", CPUs: 1, MemoryMB: 64, Networks: []string{"b", "a"}})
	c := &creatorConn{}
	if _, err := runCreate(t.Context(), c, TaskSpec{Type: TypeVMCreate, Provider: testProvider, Args: args}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b", "a"}, c.got.Networks); diff != "" {
		t.Errorf("CreateSpec.Networks (-want +got):\n%s", diff)
	}
}

package broker

import (
	"errors"
	"strings"
	"testing"

	"cloudbroker/broker/model"
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

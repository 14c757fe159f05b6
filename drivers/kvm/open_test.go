package kvm_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

func TestOpenErrors(t *testing.T) {
	dead := filepath.Join(t.TempDir(), "no-daemon.sock")
	tests := []struct {
		name       string
		cfg        drivers.Config
		needDaemon bool
		want       error
	}{
		{"dead socket path", drivers.Config{URL: "qemu:///system", Options: map[string]string{"socket": dead}}, false, model.ErrUnavailable},
		{"dead socket in URI", drivers.Config{URL: "qemu+unix:///system?socket=" + dead}, false, model.ErrUnavailable},
		{"tcp port closed", drivers.Config{URL: "qemu+tcp://127.0.0.1:1/system"}, false, model.ErrUnavailable},
		{"ssh transport", drivers.Config{URL: "qemu+ssh://root@host/system"}, false, model.ErrInvalid},
		{"tls by default for a host", drivers.Config{URL: "qemu://host/system"}, false, model.ErrInvalid},
		{"not a URI", drivers.Config{URL: "::nope"}, false, model.ErrInvalid},
		{"opaque test URI", drivers.Config{URL: "test:node.xml"}, false, model.ErrInvalid},
		{"unknown option", drivers.Config{Options: map[string]string{"images-pool": "x"}}, false, model.ErrInvalid},
		{"bad shutdown timeout", drivers.Config{Options: map[string]string{"shutdown_timeout": "soon"}}, false, model.ErrInvalid},
		{"socket option on tcp", drivers.Config{URL: "qemu+tcp://127.0.0.1/system", Options: map[string]string{"socket": dead}}, false, model.ErrInvalid},
		{"missing node file", drivers.Config{URL: "test://" + filepath.Join(t.TempDir(), "none.xml")}, true, model.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needDaemon {
				requireDaemon(t)
			}
			tt.cfg.Name, tt.cfg.Timeout = "lab", 5*time.Second
			start := time.Now()
			c, err := drivers.Open(ctx(t), "kvm", tt.cfg)
			if err == nil {
				c.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open(%q) error = %v, want %v", tt.cfg.URL, err, tt.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Open(%q) took %v to fail; want it quick", tt.cfg.URL, d)
			}
		})
	}
}

func TestClosedConn(t *testing.T) {
	c := openNode(t)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := c.ListVMs(ctx(t)); !errors.Is(err, model.ErrUnavailable) {
		t.Errorf("ListVMs after Close error = %v, want ErrUnavailable", err)
	}
}

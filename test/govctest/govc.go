// Package govctest runs govc, govmomi's own CLI, as an independent client of a simulator, so
// tests can cross-check what cloudbroker reads against what govc reads from the same vCenter.
package govctest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"cloudbroker/test/ci"
)

// Path finds govc in PATH or GOPATH/bin. In CI a missing govc fails the test; elsewhere the
// test is skipped with how to install it (`make test` does).
func Path(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("govc"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(string(trim(out))) {
			if p := filepath.Join(dir, "bin", "govc"); isFile(p) {
				return p
			}
		}
	}
	ci.Missing(t, "govc not found: run test/scripts/ensure-govc.sh (make test does)")
	return ""
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

func trim(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// Disk is a virtual disk as `govc device.info -json` prints it.
type Disk struct {
	Name       string `json:"name"`
	Key        int32  `json:"key"`
	DeviceInfo struct {
		Label   string `json:"label"`
		Summary string `json:"summary"`
	} `json:"deviceInfo"`
	Backing struct {
		FileName string `json:"fileName"`
		UUID     string `json:"uuid"`
	} `json:"backing"`
	ControllerKey   int32 `json:"controllerKey"`
	UnitNumber      int32 `json:"unitNumber"`
	CapacityInBytes int64 `json:"capacityInBytes"`
}

// Disks returns the disks govc reports for the VM named vm on the vCenter at url.
func Disks(t testing.TB, url, vm string) []Disk {
	t.Helper()
	cmd := exec.Command(Path(t), "device.info", "-json", "-vm", vm, "disk-*")
	cmd.Env = append(os.Environ(), "GOVC_URL="+url, "GOVC_INSECURE=1")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("govc device.info: %v\n%s", err, stderr)
	}
	var res struct {
		Devices []Disk `json:"devices"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("govc output: %v\n%s", err, out)
	}
	return res.Devices
}

// PowerState returns the power state govc reports for the VM named vm on the vCenter at url:
// poweredOn, poweredOff or suspended. It fails the test unless govc finds exactly one such VM.
func PowerState(t testing.TB, url, vm string) string {
	t.Helper()
	cmd := exec.Command(Path(t), "vm.info", "-json", vm)
	cmd.Env = append(os.Environ(), "GOVC_URL="+url, "GOVC_INSECURE=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("govc vm.info %s: %v", vm, err)
	}
	var info struct {
		VirtualMachines []struct {
			Runtime struct{ PowerState string } `json:"runtime"`
		} `json:"virtualMachines"`
	}
	if err := json.Unmarshal(out, &info); err != nil || len(info.VirtualMachines) != 1 {
		t.Fatalf("govc vm.info %s: %v\n%s", vm, err, out)
	}
	return info.VirtualMachines[0].Runtime.PowerState
}

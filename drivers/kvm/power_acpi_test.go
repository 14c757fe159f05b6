package kvm_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/kvm/kvmtest"
)

// acpiBootSector is a 512-byte boot sector that honours the ACPI power button the way an OS
// does, and nothing else: it enables the power-button event (PM1_EN, SeaBIOS puts the PM block
// of QEMU's chipset at 0x600), waits for its status bit (PM1_STS) and powers off by writing
// SLP_EN with sleep type 0 (S5, soft off) to PM1_CNT.
var acpiBootSector = func() []byte {
	code := []byte{
		0xBA, 0x02, 0x06, // mov dx, 0x602  ; PM1_EN
		0xB8, 0x00, 0x01, // mov ax, 0x0100 ; PWRBTN_EN
		0xEF,             // out dx, ax
		0xBA, 0x00, 0x06, // mov dx, 0x600  ; PM1_STS
		0xED,             // wait: in ax, dx
		0xA9, 0x00, 0x01, // test ax, 0x0100 ; PWRBTN_STS
		0x74, 0xFA, //       jz wait
		0xBA, 0x04, 0x06, // mov dx, 0x604  ; PM1_CNT
		0xB8, 0x00, 0x20, // mov ax, 0x2000 ; SLP_EN, SLP_TYP 0
		0xEF,       //       out dx, ax
		0xF4,       //       halt: hlt
		0xEB, 0xFD, //       jmp halt
	}
	sector := make([]byte, 512)
	copy(sector, code)
	sector[510], sector[511] = 0x55, 0xAA
	return sector
}()

// TestQEMUGuestGraceful runs grace stop and guest reboot on a real TCG guest whose "OS" is
// acpiBootSector: it obeys the ACPI power button, so the stop ends by the guest before the
// bound and libvirt reports it as the guest's (Shutdown "after guest request", Stopped
// "Shutdown", where the fallback shows "Destroyed"), and the reboot (libvirt's ACPI reboot:
// the guest powers off and libvirt resets and resumes it) is a reboot event before the bound,
// with no forced reset.
func TestQEMUGuestGraceful(t *testing.T) {
	g := kvmtest.NewGuest(t)
	// The guest with ACPI on (the shared fixture leaves it off) and the boot sector as its disk.
	xml := strings.Replace(kvmtest.GuestXML(g.Name, g.Dir), "</os>", "</os>\n  <features><acpi/></features>", 1)
	xml = strings.Replace(xml, "</name>", "</name>\n  <uuid>"+g.UUID+"</uuid>", 1) // redefine, same domain
	xmlPath := filepath.Join(t.TempDir(), "domain.xml")
	raw := filepath.Join(t.TempDir(), "boot.raw")
	if err := os.WriteFile(xmlPath, []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	disk := make([]byte, 1<<20) // SeaBIOS wants more than the one sector
	copy(disk, acpiBootSector)
	if err := os.WriteFile(raw, disk, 0o644); err != nil {
		t.Fatal(err)
	}
	kvmtest.Virsh(t, "define", xmlPath)
	kvmtest.Run(t, "qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, filepath.Join(g.Dir, g.RootVolume))

	const bound = 30 * time.Second // generous: TCG on a loaded machine; a guest that obeys takes far less
	k := openGuest(t, g, bound)
	ev := virshEvents(t, g.Name)

	steps := []struct {
		op         model.PowerOp
		want       drivers.PowerOutcome
		wantEvents []string
	}{
		{model.PowerOn, drivers.PowerOutcome{How: "powered on"}, []string{"lifecycle: Started Booted"}},
		{model.Reboot, drivers.PowerOutcome{How: "rebooted by the guest"}, []string{"reboot"}},
		{model.Shutdown, drivers.PowerOutcome{How: "shut down by the guest"}, []string{"lifecycle: Shutdown Finished after guest request", "lifecycle: Stopped Shutdown"}},
	}
	for _, s := range steps {
		if s.op != model.PowerOn {
			waitInBootSector(t, g.Name) // a press before the sector arms the button is lost
		}
		took := powerStep(t, k, g, ev, s.op, s.want, s.wantEvents)
		if took >= bound {
			t.Errorf("Power(%s) took %v: the guest should have acted before the bound %v", s.op, took, bound)
		}
	}
}

// waitInBootSector waits (up to a minute) until the guest's CPU runs acpiBootSector, loaded
// at 0000:7C00, as QEMU's monitor shows.
func waitInBootSector(t *testing.T, dom string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		regs := kvmtest.Virsh(t, "qemu-monitor-command", dom, "--hmp", "info registers")
		if strings.Contains(regs, "EIP=00007c") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("guest never reached its boot sector:\n%s", regs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

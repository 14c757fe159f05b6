package broker

import "testing"

func TestVMUUIDIsStableAndProviderScoped(t *testing.T) {
	a, b := VMUUID("vc-east", "vm-42"), VMUUID("vc-west", "vm-42")
	if a == b {
		t.Fatalf("equal MoRefs on two vCenters share uuid %s", a)
	}
	if a != VMUUID("vc-east", "vm-42") {
		t.Fatal("VMUUID is not deterministic")
	}
	if !IsUUID(a) || !IsUUID(b) {
		t.Fatalf("%s / %s are not 32 lowercase hex", a, b)
	}
	// The separator keeps ("a","bc") and ("ab","c") apart.
	if VMUUID("a", "bc") == VMUUID("ab", "c") {
		t.Fatal("provider/native boundary is ambiguous")
	}
}

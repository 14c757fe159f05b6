package broker

import "testing"

func TestImageUUIDIsStableAndOwnNamespace(t *testing.T) {
	a := ImageUUID("vc-east", "vm-42")
	if a != ImageUUID("vc-east", "vm-42") {
		t.Fatal("ImageUUID is not deterministic")
	}
	if !IsUUID(a) {
		t.Fatalf("%s is not 32 lowercase hex", a)
	}
	for _, other := range []string{ImageUUID("vc-west", "vm-42"), VMUUID("vc-east", "vm-42"), ImageUUID("vc-eastvm-42", "")} {
		if other == a {
			t.Errorf("ImageUUID(vc-east, vm-42) = %s collides with another id", a)
		}
	}
}

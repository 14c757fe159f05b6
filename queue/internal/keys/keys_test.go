package keys_test

import (
	"testing"

	"cloudbroker/queue/internal/keys"
	"cloudbroker/test/redistest"
)

// Each group of keys that one transaction or script uses together is in one Cluster slot, and
// different tasks' keys are not all in one (they spread over the masters).
func TestGroupsShareASlot(t *testing.T) {
	const id, other = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	for _, tc := range []struct {
		name string
		keys []string
	}{
		{"one task", []string{keys.Record(id), keys.Claim(id), keys.Progress(id), keys.LongJob(id)}},
		{"inventory", []string{keys.InvVMs, keys.InvStatus, keys.InvEvents, keys.InvIDs("vc1"), keys.InvIDs("kvm")}},
		{"listings", []string{keys.ListLists, keys.ListLease("images", "vc1"), keys.ListLease("hosts", "kvm")}},
		{"notifications", []string{keys.NotesIndex, keys.NotesData, keys.NotesStatus, keys.NotesOnce("x")}},
		{"tags", []string{keys.TagsData, keys.TagsResource("VmInstanceVO", id)}},
		{"live snapshots", []string{keys.LiveSnapIndex, keys.LiveSnap("a"), keys.LiveSnap("b")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := redistest.Slot(tc.keys[0])
			for _, k := range tc.keys[1:] {
				if got := redistest.Slot(k); got != want {
					t.Errorf("%s is in slot %d, %s in %d", k, got, tc.keys[0], want)
				}
			}
		})
	}
	if redistest.Slot(keys.Record(id)) == redistest.Slot(keys.Record(other)) {
		t.Errorf("two tasks' records share a slot: the tag is not the task id")
	}
}

// AsynqTaskID reads back the id AsynqTask put in a key, and nothing from asynq's other keys.
func TestAsynqTaskID(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		key    string
		id     string
		isTask bool
	}{
		{keys.AsynqTask("default", id), id, true},
		{keys.AsynqTask("site-1", id), id, true},
		{keys.AsynqLease("default"), "", false},
		{keys.AsynqState("default", "completed"), "", false},
		{keys.Record(id), "", false},
	} {
		if got, ok := keys.AsynqTaskID(tc.key); got != tc.id || ok != tc.isTask {
			t.Errorf("AsynqTaskID(%q) = %q, %v; want %q, %v", tc.key, got, ok, tc.id, tc.isTask)
		}
	}
}

package kvm

import "testing"

// A clone's domain XML carries its own mark, never its source's, and listing reads it back;
// another tool's <clone> element in metadata is not a mark.
func TestCloneMarkXML(t *testing.T) {
	const srcMarked = `<domain type='test'><name>src</name><metadata>
  <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0"><libosinfo:os id="http://debian.org/debian/12"/></libosinfo:libosinfo>
  <cb:clone xmlns:cb="` + cloneMarkNS + `" task="source-task"/>
  <other:clone xmlns:other="urn:other" task="not-ours"/>
</metadata><devices/></domain>`
	const srcBare = `<domain type='test'><name>src</name><devices/></domain>`
	for _, tc := range []struct {
		name, src, mark, want string
		wantOS                string
	}{
		{"marked source, new mark", srcMarked, "t1", "t1", "http://debian.org/debian/12"},
		{"marked source, no mark", srcMarked, "", "", "http://debian.org/debian/12"},
		{"no metadata, new mark", srcBare, "t2", "t2", ""},
		{"no metadata, no mark", srcBare, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, err := parseDomain(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if tc.src == srcMarked && cloneMarkOf(before) != "source-task" {
				t.Errorf("source mark %q, want source-task", cloneMarkOf(before))
			}
			tree, err := parseTree(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			setCloneMark(tree.elem("domain"), tc.mark)
			out, err := tree.String()
			if err != nil {
				t.Fatal(err)
			}
			x, err := parseDomain(out)
			if err != nil {
				t.Fatalf("%v in %s", err, out)
			}
			if got := cloneMarkOf(x); got != tc.want {
				t.Errorf("mark %q, want %q, in %s", got, tc.want, out)
			}
			if x.OS.ID != tc.wantOS || before.OS.ID != tc.wantOS {
				t.Errorf("os id %q (before %q), want %q kept", x.OS.ID, before.OS.ID, tc.wantOS)
			}
		})
	}
}

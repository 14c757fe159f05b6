package kvmtest

import (
	"os"
	"path/filepath"
	"testing"
)

// NodeURI writes nodeXML, a host for libvirt's test driver (a <node> document), to node.xml in
// a fresh temp dir and returns its test:// URI. libvirtd loads the file per connection, so each
// connection starts from that state and keeps its changes to itself.
func NodeURI(t testing.TB, nodeXML string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "node.xml")
	if err := os.WriteFile(p, []byte(nodeXML), 0o644); err != nil {
		t.Fatal(err)
	}
	return "test://" + p
}

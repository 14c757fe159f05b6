package drivertest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every optional interface package drivers declares for connections is in the suite's
// capability table, so a new capability cannot go untested. Driver and Conn are the required
// contract, and ConnTyper is a Driver's, not a connection's.
var driverLevel = map[string]bool{"Driver": true, "Conn": true, "ConnTyper": true}

func TestEveryCapabilityIsListed(t *testing.T) {
	pkgs, err := parser.ParseDir(token.NewFileSet(), "..", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, f := range pkgs["drivers"].Files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, sp := range g.Specs {
				ts, ok := sp.(*ast.TypeSpec)
				if !ok {
					continue
				}
				if _, isIface := ts.Type.(*ast.InterfaceType); isIface && ts.Name.IsExported() && !driverLevel[ts.Name.Name] {
					declared = append(declared, ts.Name.Name)
				}
			}
		}
	}
	listed := Capabilities()
	slices.Sort(declared)
	slices.Sort(listed)
	if diff := cmp.Diff(declared, listed); diff != "" {
		t.Errorf("capabilities declared in package drivers vs listed in drivertest (-declared +listed):\n%s", diff)
	}
}

package drivertest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every optional interface package drivers declares is in the suite's capability table, so a
// new capability cannot go untested. Driver and Conn are the required contract, not options.
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
				if _, isIface := ts.Type.(*ast.InterfaceType); isIface && ts.Name.IsExported() && ts.Name.Name != "Driver" && ts.Name.Name != "Conn" {
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

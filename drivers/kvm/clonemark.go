package kvm

import (
	"encoding/xml"
	"strings"
)

// A clone's mark (drivers.CloneSpec.Mark) is an element of the domain's <metadata>, in the
// broker's own namespace, in the XML the clone is defined with: the domain never exists
// unmarked. libvirt keeps metadata elements it does not know verbatim.
const (
	cloneMarkNS     = "https://cloudbroker.dev/xmlns/libvirt/clone/1"
	cloneMarkPrefix = "cloudbroker"
	cloneMarkElem   = cloneMarkPrefix + ":clone" // as flatten names it in the tree
)

// cloneMarkXML reads the mark: any <clone task="..."> in the broker's namespace.
type cloneMarkXML struct {
	XMLName xml.Name
	Task    string `xml:"task,attr"`
}

func cloneMarkOf(x domainXML) string {
	for _, m := range x.Marks {
		if m.XMLName.Space == cloneMarkNS {
			return m.Task
		}
	}
	return ""
}

// setCloneMark replaces any mark the source had by mark (none when mark is empty), adding a
// <metadata> element if the domain has none.
func setCloneMark(dom *node, mark string) {
	meta := dom.elem("metadata")
	if meta != nil {
		meta.remove(func(n *node) bool { return isCloneMark(n) || isLifecycleMark(n) })
	}
	if mark == "" {
		return
	}
	if meta == nil {
		meta = &node{start: xml.StartElement{Name: xml.Name{Local: "metadata"}}}
		dom.children = append(dom.children, meta)
	}
	meta.children = append(meta.children, &node{start: xml.StartElement{
		Name: xml.Name{Local: cloneMarkElem},
		Attr: []xml.Attr{
			{Name: xml.Name{Local: "xmlns:" + cloneMarkPrefix}, Value: cloneMarkNS},
			{Name: xml.Name{Local: "task"}, Value: mark},
		},
	}})
}

// isCloneMark reports whether a metadata element is a mark, whatever prefix libvirt gave it
// when it wrote the XML back: it declares the broker's namespace.
func isCloneMark(n *node) bool {
	for _, a := range n.start.Attr {
		if (a.Name.Local == "xmlns" || strings.HasPrefix(a.Name.Local, "xmlns:")) && a.Value == cloneMarkNS {
			return true
		}
	}
	return false
}

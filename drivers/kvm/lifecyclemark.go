package kvm

import (
	"bytes"
	"encoding/xml"
	"strings"
	"time"
)

// What the broker keeps on a domain beside the clone mark, each in its own <metadata> element
// and namespace (virDomainSetMetadata replaces one element per namespace): the image a created
// VM was made from, and when the VM was destroyed. They live in libvirt's domain definition, so
// every broker replica reads them and a broker whose Redis lost its data still knows which VMs
// are destroyed.
const (
	imageMarkNS     = "https://cloudbroker.dev/xmlns/libvirt/image/1"
	destroyedMarkNS = "https://cloudbroker.dev/xmlns/libvirt/destroyed/1"
)

// imageMarkXML and destroyedMarkXML read the marks: <image path="..."> and <destroyed at="...">.
type imageMarkXML struct {
	XMLName xml.Name
	Path    string `xml:"path,attr"`
}

type destroyedMarkXML struct {
	XMLName xml.Name
	At      string `xml:"at,attr"`
}

func imageMarkOf(x domainXML) string {
	for _, m := range x.Images {
		if m.XMLName.Space == imageMarkNS {
			return m.Path
		}
	}
	return ""
}

// destroyedAtOf reads the destroyed mark; zero when there is none or it is unreadable.
func destroyedAtOf(x domainXML) time.Time {
	for _, m := range x.Destroyed {
		if m.XMLName.Space == destroyedMarkNS {
			if t, err := time.Parse(time.RFC3339, m.At); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}

// markElem renders <cloudbroker:name xmlns:cloudbroker="ns" attr="value"/>.
func markElem(name, ns, attr, value string) string {
	var b bytes.Buffer
	b.WriteString("<" + cloneMarkPrefix + ":" + name + " xmlns:" + cloneMarkPrefix + "='" + ns + "' " + attr + "='")
	_ = xml.EscapeText(&b, []byte(value))
	b.WriteString("'/>")
	return b.String()
}

// isLifecycleMark reports whether a metadata element is the image or destroyed mark: a clone
// is not made from an image nor destroyed, so it must not keep its source's.
func isLifecycleMark(n *node) bool {
	for _, a := range n.start.Attr {
		if a.Name.Local == "xmlns" || strings.HasPrefix(a.Name.Local, "xmlns:") {
			if a.Value == imageMarkNS || a.Value == destroyedMarkNS {
				return true
			}
		}
	}
	return false
}

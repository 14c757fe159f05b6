package kvm

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
)

// node is a minimal DOM so the clone can edit a domain XML and keep everything it does not know
// about (encoding/xml structs would drop unknown elements). Namespace prefixes are kept verbatim
// (RawToken) because encoding/xml's namespace rewriting mangles prefixed metadata elements.
type node struct {
	start    xml.StartElement
	children []any // *node or an xml.Token (CharData, Comment, ProcInst, Directive)
}

func parseTree(s string) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader([]byte(s)))
	root := &node{}
	stack := []*node{root}
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{start: flatten(t.Copy())}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 1 {
				return nil, errors.New("unbalanced end element")
			}
			stack = stack[:len(stack)-1]
		default:
			top.children = append(top.children, xml.CopyToken(tok))
		}
	}
	if len(stack) != 1 {
		return nil, errors.New("unclosed element")
	}
	return root, nil
}

// flatten folds "prefix:" into the local names so the encoder writes them back unchanged.
func flatten(t xml.StartElement) xml.StartElement {
	if t.Name.Space != "" {
		t.Name = xml.Name{Local: t.Name.Space + ":" + t.Name.Local}
	}
	for i, a := range t.Attr {
		if a.Name.Space != "" {
			t.Attr[i].Name = xml.Name{Local: a.Name.Space + ":" + a.Name.Local}
		}
	}
	return t
}

func (n *node) String() (string, error) {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	var walk func(*node) error
	walk = func(n *node) error {
		for _, ch := range n.children {
			var err error
			switch c := ch.(type) {
			case *node:
				if err = enc.EncodeToken(c.start); err == nil {
					if err = walk(c); err == nil {
						err = enc.EncodeToken(c.start.End())
					}
				}
			case xml.ProcInst:
				if c.Target == "xml" {
					continue // the encoder allows it only first; libvirt does not need it
				}
				err = enc.EncodeToken(c)
			default:
				err = enc.EncodeToken(ch.(xml.Token))
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(n); err != nil {
		return "", err
	}
	if err := enc.Flush(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// elems returns the child elements named name.
func (n *node) elems(name string) []*node {
	var out []*node
	for _, ch := range n.children {
		if c, ok := ch.(*node); ok && c.start.Name.Local == name {
			out = append(out, c)
		}
	}
	return out
}

// elem returns the first child element named name, or nil.
func (n *node) elem(name string) *node {
	if e := n.elems(name); len(e) > 0 {
		return e[0]
	}
	return nil
}

// remove drops the child elements for which drop says so.
func (n *node) remove(drop func(*node) bool) {
	kept := n.children[:0]
	for _, ch := range n.children {
		if c, ok := ch.(*node); ok && drop(c) {
			continue
		}
		kept = append(kept, ch)
	}
	n.children = kept
}

func (n *node) attr(name string) string {
	for _, a := range n.start.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *node) setAttr(name, value string) {
	for i, a := range n.start.Attr {
		if a.Name.Local == name {
			n.start.Attr[i].Value = value
			return
		}
	}
	n.start.Attr = append(n.start.Attr, xml.Attr{Name: xml.Name{Local: name}, Value: value})
}

func (n *node) setText(s string) { n.children = []any{xml.CharData(s)} }

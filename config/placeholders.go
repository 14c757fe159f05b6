package config

import (
	"errors"
	"fmt"
	"regexp"

	"gopkg.in/yaml.v3"
)

// placeholder is ${NAME} in a value: replaced with the environment's NAME at load, so a file
// can name its secrets (tokens, passwords, key files) without holding them.
var placeholder = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Placeholders lists the environment variables the file's values name, in file order.
func Placeholders(b []byte) ([]string, error) {
	var names []string
	err := eachValue(b, func(n *yaml.Node) {
		for _, m := range placeholder.FindAllStringSubmatch(n.Value, -1) {
			names = append(names, m[1])
		}
	})
	return names, err
}

// expandPlaceholders replaces every ${NAME} in the document's values. An unset or empty NAME is
// an error naming its line (left empty, the secret would fail later and less clearly); the
// document is still returned, so the caller can report its other problems too. It is nil only
// when the YAML cannot be read.
func expandPlaceholders(b []byte, getenv func(string) string) ([]byte, error) {
	if !placeholder.Match(b) {
		return b, nil // as written, so decoding errors keep the file's line numbers
	}
	var doc yaml.Node
	var errs []error
	err := decodeNode(b, &doc)
	if err == nil {
		walkValues(&doc, func(n *yaml.Node) {
			n.Value = placeholder.ReplaceAllStringFunc(n.Value, func(m string) string {
				name := m[2 : len(m)-1]
				v := getenv(name)
				if v == "" {
					errs = append(errs, fmt.Errorf("config: line %d: %s is not set in the environment", n.Line, m))
				}
				return v
			})
		})
	}
	if err != nil {
		return nil, err
	}
	out, err := yaml.Marshal(&doc) // a value's quoting follows its new text, so it stays a string
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return out, errors.Join(errs...)
}

func eachValue(b []byte, f func(*yaml.Node)) error {
	var doc yaml.Node
	if err := decodeNode(b, &doc); err != nil {
		return err
	}
	walkValues(&doc, f)
	return nil
}

func decodeNode(b []byte, doc *yaml.Node) error {
	if err := yaml.Unmarshal(b, doc); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// walkValues calls f on every scalar of a document that is not a mapping key.
func walkValues(n *yaml.Node, f func(*yaml.Node)) {
	switch n.Kind {
	case yaml.ScalarNode:
		f(n)
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			walkValues(n.Content[i], f)
		}
	default:
		for _, c := range n.Content {
			walkValues(c, f)
		}
	}
}

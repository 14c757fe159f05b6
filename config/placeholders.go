package config

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

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
//
// The text is edited in place, each value rewritten as a double-quoted string, so the file's
// line numbers stay those of later errors and a value stays a string whatever its characters.
func expandPlaceholders(b []byte, getenv func(string) string) ([]byte, error) {
	if !placeholder.Match(b) {
		return b, nil
	}
	var doc yaml.Node
	if err := decodeNode(b, &doc); err != nil {
		return nil, err
	}
	var nodes []*yaml.Node
	walkValues(&doc, func(n *yaml.Node) {
		if placeholder.MatchString(n.Value) {
			nodes = append(nodes, n)
		}
	})
	// From the end backwards, so an edit never moves a position still to be edited.
	slices.SortFunc(nodes, func(x, y *yaml.Node) int { return cmp.Or(y.Line-x.Line, y.Column-x.Column) })
	lines := strings.Split(string(b), "\n")
	var errs []error
	for _, n := range nodes {
		value := placeholder.ReplaceAllStringFunc(n.Value, func(m string) string {
			v := getenv(m[2 : len(m)-1])
			if v == "" {
				errs = append(errs, fmt.Errorf("config: line %d: %s is not set in the environment", n.Line, m))
			}
			return v
		})
		line := []rune(lines[n.Line-1])
		start := n.Column - 1
		end := scalarEnd(line, start, n)
		if end < 0 {
			errs = append(errs, fmt.Errorf("config: line %d: write the value with ${...} on one line, as \"...\"", n.Line))
			continue
		}
		quoted, _ := json.Marshal(value) // a JSON string is a YAML double-quoted scalar
		lines[n.Line-1] = string(line[:start]) + string(quoted) + string(line[end:])
	}
	slices.Reverse(errs) // in file order
	return []byte(strings.Join(lines, "\n")), errors.Join(errs...)
}

// scalarEnd is where the one-line scalar n that starts at line[start] ends, or -1.
func scalarEnd(line []rune, start int, n *yaml.Node) int {
	if start < 0 || start >= len(line) {
		return -1
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0 && line[start] == '"':
		for i := start + 1; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
	case n.Style&yaml.SingleQuotedStyle != 0 && line[start] == '\'':
		for i := start + 1; i < len(line); i++ {
			if line[i] == '\'' {
				if i+1 < len(line) && line[i+1] == '\'' {
					i++
					continue
				}
				return i + 1
			}
		}
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle|yaml.TaggedStyle) == 0:
		if end := start + len([]rune(n.Value)); end <= len(line) && string(line[start:end]) == n.Value {
			return end // a plain scalar's text is its value
		}
	}
	return -1
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

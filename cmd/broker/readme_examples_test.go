package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// example is one command of README.md's ```sh blocks and the output the README prints for it.
//
// The README's convention, which this parser defines: every ```sh block is run against the
// demo, in order, in one shell (variables carry over), except blocks fenced ```sh setup (how
// to start things, not something to run against the running demo). A command is a line and
// its continuations (a line ending in `\` or `|`). Its expected output is either the comment
// lines right below it ("# " removed, joined by newlines), or, for a block's last command, a
// ```json block right after the block. Comment lines after a blank line, or before a
// command, are prose. A command without expected output is run and must exit 0.
type example struct {
	line     int    // README line of the command's first line
	command  string // as printed
	expected string // "" when the README prints none
	hasWant  bool
}

var shellFence = regexp.MustCompile("^```(sh|bash|shell|console)\\b")

func readmeExamples(path string) ([]example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		lines = append(lines, sc.Text())
	}
	var out []example
	for i := 0; i < len(lines); i++ {
		switch fence := strings.TrimSpace(lines[i]); {
		case fence == "```sh":
		case fence == "```sh setup" || !shellFence.MatchString(fence):
			continue
		default: // a shell example this test would silently skip
			return nil, fmt.Errorf("README.md:%d: %s: fence shell examples ```sh (run) or ```sh setup (not run)", i+1, fence)
		}
		end := i + 1
		for end < len(lines) && lines[end] != "```" {
			end++
		}
		if end == len(lines) {
			return nil, fmt.Errorf("README.md:%d: unclosed ```sh block", i+1)
		}
		block := parseBlock(lines[i+1:end], i+2)
		if end+1 < len(lines) && lines[end+1] == "```json" && len(block) > 0 {
			j := end + 2
			for j < len(lines) && lines[j] != "```" {
				j++
			}
			last := &block[len(block)-1]
			if last.hasWant {
				return nil, fmt.Errorf("README.md:%d: a command with both # output and a ```json block", last.line)
			}
			last.expected, last.hasWant = strings.Join(lines[end+2:j], "\n"), true
			end = j
		}
		out = append(out, block...)
		i = end
	}
	return out, nil
}

// parseBlock splits one ```sh block into commands; first is the README line of lines[0].
func parseBlock(lines []string, first int) []example {
	var out []example
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue // prose
		}
		ex := example{line: first + i, command: l}
		for (strings.HasSuffix(l, `\`) || strings.HasSuffix(l, "|")) && i+1 < len(lines) {
			i++
			l = lines[i]
			ex.command += "\n" + l
		}
		var want []string
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "#") {
			i++
			want = append(want, strings.TrimPrefix(strings.TrimPrefix(lines[i], "#"), " "))
		}
		ex.expected, ex.hasWant = strings.Join(want, "\n"), len(want) > 0
		out = append(out, ex)
	}
	return out
}

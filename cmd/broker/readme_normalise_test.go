package main

import (
	"encoding/json"
	"regexp"
	"strings"
)

// The one normalisation applied to both the README's printed outputs and the demo's answers
// before they are compared, for what differs from run to run and nothing else:
//   - the demo's address is written 127.0.0.1:8080, as in the README;
//   - every 32-hex-digit id (task ids, request ids, sessions, nodes; also the stable vmids, so
//     that one rule covers all) reads <id>, and every v4 uuid <uuid>;
//   - dates read <date> (ZStack's "Nov 24, 2026 4:25:23 AM" and RFC 3339);
//   - in JSON, the number under a key ending in time, date, _at, seen, sync or seconds, or
//     named pid, reads 0, and the value of hostname or version <host>/<version>;
//   - text (not JSON) is compared line by line with runs of blanks made one space.
var (
	hex32    = regexp.MustCompile(`\b[0-9a-f]{32}\b`)
	uuid4    = regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	zsDate   = regexp.MustCompile(`[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M`)
	rfc3339  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	timeKey  = regexp.MustCompile(`(?i)(time|date|_at|seen|sync|seconds)$|^pid$`)
	blanks   = regexp.MustCompile(`[ \t]+`)
	wordKeys = map[string]string{"hostname": "<host>", "version": "<version>"}
)

// normalise returns the comparable form of an output: a JSON value, or a string for text.
func normalise(out, addr string) any {
	s := strings.ReplaceAll(out, addr, "127.0.0.1:8080")
	s = uuid4.ReplaceAllString(hex32.ReplaceAllString(s, "<id>"), "<uuid>")
	s = rfc3339.ReplaceAllString(zsDate.ReplaceAllString(s, "<date>"), "<date>")
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		return normaliseJSON("", v)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		lines = append(lines, strings.TrimSpace(blanks.ReplaceAllString(l, " ")))
	}
	return strings.Join(lines, "\n")
}

func normaliseJSON(key string, v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normaliseJSON(k, e)
		}
	case []any:
		for i, e := range v {
			v[i] = normaliseJSON(key, e)
		}
	case float64:
		if timeKey.MatchString(key) {
			return 0.0
		}
	case string:
		if w, ok := wordKeys[strings.ToLower(key)]; ok {
			return w
		}
	}
	return v
}

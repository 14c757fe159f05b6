package gc

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"cloudbroker/broker/model"
)

// Report is what a clean-up run says, kept in a shape that lets each caller read only its
// part: a summary that names no tenant's resource, and per provider what was looked at, what
// was found and why the provider was skipped. A run's result is stored encoded (Encode); the
// readers render it for their caller (Text).
type Report struct {
	// Version marks an encoded report apart from a plain-text result.
	Version int `json:"gcReport"`
	// Summary is read by every caller: it must name no provider, VM or task.
	Summary string `json:"summary,omitempty"`
	// CheckedWhat and FoundWhat label the totals ("failed clone names checked", "leftover VMs
	// found"); without CheckedWhat no totals are written.
	CheckedWhat string                    `json:"checkedWhat,omitempty"`
	FoundWhat   string                    `json:"foundWhat,omitempty"`
	Providers   map[string]ProviderReport `json:"providers,omitempty"`
}

// ProviderReport is one provider's part of a run.
type ProviderReport struct {
	Checked int `json:"checked,omitempty"`
	// Found are the findings, one line each, without the provider's name.
	Found []string `json:"found,omitempty"`
	// Skipped, if not empty, says why the provider was not looked at this run.
	Skipped string `json:"skipped,omitempty"`
}

const reportVersion = 1

// SetProvider stores p's part (read it as r.Providers[p], which a nil map allows).
func (r *Report) SetProvider(p string, pr ProviderReport) {
	if r.Providers == nil {
		r.Providers = map[string]ProviderReport{}
	}
	r.Providers[p] = pr
}

// Encode is the report as the GC job's stored result.
func (r Report) Encode() string {
	r.Version = reportVersion
	b, _ := json.Marshal(r) // strings, ints and maps of them always marshal
	return string(b)
}

// DecodeReport reads a stored result; ok is false for a plain-text one (a job that does
// not report per provider, or a result stored before reports existed).
func DecodeReport(s string) (r Report, ok bool) {
	if !strings.HasPrefix(s, "{") || json.Unmarshal([]byte(s), &r) != nil || r.Version != reportVersion {
		return Report{}, false
	}
	return r, true
}

// Text renders the part of the report the caller sees: totals over its providers, then each
// finding as "provider/finding", then the skipped providers by reason.
func (r Report) Text(c model.Caller) string {
	var parts []string
	if r.Summary != "" {
		parts = append(parts, r.Summary)
	}
	var visible []string
	for _, p := range slices.Sorted(maps.Keys(r.Providers)) {
		if c.Sees(p) {
			visible = append(visible, p)
		}
	}
	if r.CheckedWhat != "" {
		checked, found := 0, 0
		for _, p := range visible {
			checked += r.Providers[p].Checked
			found += len(r.Providers[p].Found)
		}
		parts = append(parts, fmt.Sprintf("%d %s, %d %s", checked, r.CheckedWhat, found, r.FoundWhat))
	}
	skipped := map[string][]string{}
	for _, p := range visible {
		for _, f := range r.Providers[p].Found {
			parts = append(parts, p+"/"+f)
		}
		if why := r.Providers[p].Skipped; why != "" {
			skipped[why] = append(skipped[why], p)
		}
	}
	for _, why := range slices.Sorted(maps.Keys(skipped)) {
		parts = append(parts, fmt.Sprintf("skipped (%s): %s", why, strings.Join(skipped[why], ", ")))
	}
	return strings.Join(parts, "; ")
}

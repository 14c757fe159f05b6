package zstack

import (
	"bytes"
	"encoding/json"
	"strings"

	"cloudbroker/adapters"
	"cloudbroker/broker/model"
)

// decodeStrict reads the parameters object raw into v, refusing a key v does not declare with a
// 400 naming it (label.key): an option this broker does not know is never silently dropped.
func decodeStrict(label string, raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		// encoding/json words it `json: unknown field "x"`; say it in the request's words.
		if k, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return model.Errorf(model.ErrInvalid, "%s: unknown key %s: this broker does not know that option", label, shorten(k))
		}
		return model.Errorf(model.ErrInvalid, "%s: %s", label, adapters.DescribeJSONError(err))
	}
	return nil
}

// unset reports whether an optional value the broker cannot honour was left out: absent,
// null, "", [], {}, 0 or false. The ZStack SDK sends every field, zero or not.
func unset(raw json.RawMessage) bool {
	switch strings.TrimSpace(string(raw)) {
	case "", "null", `""`, "[]", "{}", "0", "false":
		return true
	}
	return false
}

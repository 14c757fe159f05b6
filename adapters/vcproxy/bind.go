package vcproxy

import (
	"bytes"
	"fmt"
	"strings"

	"cloudbroker/adapters"
	"cloudbroker/broker/model"
)

// Mode is the sample's response mode: 0 sync, 1 async. Clients send it as a number; some send
// it as a string, which is accepted too.
type Mode int

const (
	ModeSync  Mode = 0
	ModeAsync Mode = 1
)

// UnmarshalJSON accepts 0, 1, "0" and "1"; anything else is a clear error.
func (m *Mode) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	switch s {
	case "0":
		*m = ModeSync
	case "1":
		*m = ModeAsync
	default:
		return fmt.Errorf("mode must be 0 (sync) or 1 (async), got %s", b)
	}
	return nil
}

type diskInfoRequest struct {
	VMID     string `json:"vmid"`
	Mode     *Mode  `json:"mode"`
	ClientID string `json:"clientid"`
}

type taskInfoRequest struct {
	TaskID string `json:"taskid"`
}

type vmListRequest struct {
	ClientID string `json:"clientid"`
	Provider string `json:"provider"`
	Offset   int    `json:"offset"`
	Limit    int    `json:"limit"`
}

// decode parses a JSON body into v. An empty body is an empty object, so a request with only
// defaults needs no body.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return adapters.DecodeJSON(body, v)
}

const maxIDLen = 32 // the sample's maximum length for vmid and clientid

func (r *diskInfoRequest) validate() error {
	switch {
	case r.VMID == "":
		return model.Errorf(model.ErrInvalid, "vmid is required")
	case len(r.VMID) > maxIDLen:
		return model.Errorf(model.ErrInvalid, "vmid is longer than %d characters", maxIDLen)
	case len(r.ClientID) > maxIDLen:
		return model.Errorf(model.ErrInvalid, "clientid is longer than %d characters", maxIDLen)
	}
	return nil
}

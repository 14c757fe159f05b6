package didi

import (
	"bytes"
	"encoding/json"
	"fmt"

	"cloudbroker/adapters"
	"cloudbroker/broker/model"
)

// Request bounds. DiDi's list calls page by at most 100 items.
const (
	MaxLimit      = 100
	maxRegionLen  = 64
	maxNames      = 100
	maxNameLength = 255
)

// cimgListRequest is the body of POST /dicloud/i/storage/cimg/list. Start and Limit are pointers
// so that a missing limit is told apart from 0; unknown fields are ignored, as DiDi does.
type cimgListRequest struct {
	RegionID  string         `json:"regionId"`
	Start     *int           `json:"start"`
	Limit     *int           `json:"limit"`
	Condition *cimgCondition `json:"condition"`
}

type cimgCondition struct {
	Names []string `json:"names"`
}

// decode parses a JSON body into v. An empty body is an empty object, so its missing fields
// are reported one by one by validate rather than as a JSON error.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed JSON body: %s: %w", adapters.DescribeJSONError(err), errBadCall)
	}
	if dec.More() {
		return fmt.Errorf("malformed JSON body: trailing data after the object: %w", errBadCall)
	}
	return nil
}

// validate reports the first problem, in the words of the request's fields.
func (r *cimgListRequest) validate() error {
	switch {
	case r.RegionID == "":
		return model.Errorf(model.ErrInvalid, "regionId is required")
	case len(r.RegionID) > maxRegionLen:
		return model.Errorf(model.ErrInvalid, "regionId is longer than %d characters", maxRegionLen)
	case r.Limit == nil:
		return model.Errorf(model.ErrInvalid, "limit is required: the page size, 1 to %d", MaxLimit)
	case *r.Limit < 1 || *r.Limit > MaxLimit:
		return model.Errorf(model.ErrInvalid, "limit %d must be between 1 and %d", *r.Limit, MaxLimit)
	case r.Start != nil && *r.Start < 0:
		return model.Errorf(model.ErrInvalid, "start %d must be >= 0", *r.Start)
	}
	names := r.names()
	if len(names) > maxNames {
		return model.Errorf(model.ErrInvalid, "condition.names has %d entries, at most %d", len(names), maxNames)
	}
	for i, n := range names {
		if n == "" || len(n) > maxNameLength {
			return model.Errorf(model.ErrInvalid, "condition.names[%d] must be 1 to %d bytes long", i, maxNameLength)
		}
	}
	return nil
}

// start is the request's start; the seed's own example omits it, so it defaults to 0.
func (r *cimgListRequest) start() int {
	if r.Start == nil {
		return 0
	}
	return *r.Start
}

func (r *cimgListRequest) names() []string {
	if r.Condition == nil {
		return nil
	}
	return r.Condition.Names
}

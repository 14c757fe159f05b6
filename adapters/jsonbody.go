package adapters

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"cloudbroker/broker/model"
)

// DecodeJSON parses a request body holding one JSON value into v. An error wraps
// model.ErrInvalid and says what is wrong in the request's words; data after the value is
// refused rather than ignored.
func DecodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return model.Errorf(model.ErrInvalid, "malformed JSON body: %v", DescribeJSONError(err))
	}
	if dec.More() {
		return model.Errorf(model.ErrInvalid, "malformed JSON body: trailing data after the object")
	}
	return nil
}

// DescribeJSONError names the field of a wrong-typed value and what it must be; other decoding
// errors read well as they are.
func DescribeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("field %q must be %s, got %s", typeErr.Field, typeErr.Type, typeErr.Value)
	}
	return err.Error()
}

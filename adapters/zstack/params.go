package zstack

import (
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker/model"
)

// requestParams is the request's query string, decoded strictly by the edge (adapters.Query).
func requestParams(c *gin.Context) (url.Values, error) { return adapters.Query(c) }

// single returns a parameter that may be given once ("" when absent); given twice, it is
// refused rather than one of them silently chosen.
func single(v url.Values, name string) (string, error) {
	switch vs := v[name]; len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	default:
		return "", model.Errorf(model.ErrInvalid, "invalid query parameter: '%s' is given %d times; give it once", name, len(vs))
	}
}

// deleteModeParam reads a delete API's deleteMode query parameter ("" when absent), through
// the strict parser: a malformed escape or an unknown mode is a 400 naming it.
func deleteModeParam(c *gin.Context) (string, error) {
	v, err := requestParams(c)
	if err != nil {
		return "", err
	}
	mode, err := single(v, "deleteMode")
	if err != nil {
		return "", err
	}
	if err := checkDeleteMode(mode); err != nil {
		return "", err
	}
	return mode, nil
}

// checkDeleteMode accepts "" (the default, Permissive) and the two modes (deleteModes, tags.go).
func checkDeleteMode(mode string) error {
	if mode != "" && !slices.Contains(deleteModes, mode) {
		return model.Errorf(model.ErrInvalid, "invalid query parameter: deleteMode %q must be %s", shorten(mode), strings.Join(deleteModes, " or "))
	}
	return nil
}

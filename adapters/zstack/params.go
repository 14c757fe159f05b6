package zstack

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker/model"
)

// The dialect reads every query parameter through requestParams: url.ParseQuery (and so gin's
// c.Query) drops a pair it cannot decode without a word, which turned q=name~=IntelCore% into
// a query with no condition, answering every VM. Here a pair that does not decode is a 400
// naming the parameter.
//
// A % must start an escape of two hexadecimal digits. The manual writes q=name~=IntelCore%
// with a bare % (the ~= wildcard); we refuse that form rather than guess, because a bare %
// followed by two hex digits (name~=%ab) would silently decode to another pattern: a client
// sends a literal % as %25 (q=name~=IntelCore%25), as the Go SDK does (it encodes every value
// with url.Values.Encode). + is a space, as in every form encoding.

// paramsKey caches the decoded parameters on the request: several readers may need them.
const paramsKey = "zstack.params"

// requestParams decodes the request's query string strictly (parseParams), once per request.
func requestParams(c *gin.Context) (url.Values, error) {
	if v, ok := c.Get(paramsKey); ok {
		return v.(url.Values), nil
	}
	v, err := parseParams(c.Request.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	c.Set(paramsKey, v)
	return v, nil
}

// StrictQuery refuses, with the dialect's 400, a request whose query string does not decode,
// before its handler runs: mounted on the dialect's routes, it covers handlers that read no
// parameter (or read them through gin) too.
func StrictQuery(c *gin.Context) {
	if _, err := requestParams(c); err != nil {
		fail(c, err)
		c.Abort()
		return
	}
	c.Next()
}

// parseParams decodes a raw query string: pairs separated by &, key and value by the first =,
// each percent-decoded and valid UTF-8. An error wraps model.ErrInvalid and names the
// parameter and what is wrong with it.
func parseParams(raw string) (url.Values, error) {
	v := url.Values{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue // a&&b, a trailing &: nothing given
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := unescapeParam(rawKey)
		if err != nil {
			return nil, model.Errorf(model.ErrInvalid, "invalid query parameter name %q: %s", shorten(rawKey), err.Error())
		}
		name := key
		if name == "" {
			name = shorten(pair)
		}
		if strings.Contains(rawKey, ";") || strings.Contains(rawValue, ";") {
			// Some servers and proxies split on ;, others do not: refusing it leaves no doubt
			// about what was asked.
			return nil, model.Errorf(model.ErrInvalid, "invalid query parameter %q: a raw ';' is not allowed; send it as %%3B", shorten(name))
		}
		value, err := unescapeParam(rawValue)
		if err != nil {
			return nil, model.Errorf(model.ErrInvalid, "invalid query parameter %q: %s", shorten(name), err.Error())
		}
		v[key] = append(v[key], value)
	}
	return v, nil
}

// unescapeParam percent-decodes one key or value (+ is a space); its error says where and why.
func unescapeParam(s string) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		if !utf8.ValidString(s) {
			return "", errors.New("not valid UTF-8")
		}
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", fmt.Errorf(
					"malformed percent-escape %q at byte %d: %% must be followed by two hexadecimal digits; send a literal %% (also the ~= wildcard) as %%25",
					s[i:min(i+3, len(s))], i)
			}
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case '+':
			b = append(b, ' ')
		default:
			b = append(b, s[i])
		}
	}
	if !utf8.Valid(b) {
		return "", errors.New("not valid UTF-8 once decoded")
	}
	return string(b), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

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

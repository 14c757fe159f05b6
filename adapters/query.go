package adapters

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker/model"
)

// Every dialect's query parameters are read through Query: url.ParseQuery (and so gin's
// c.Query) drops a pair it cannot decode without a word, which turned q=name~=IntelCore% into
// a query with no condition, answering every VM. Here a pair that does not decode is refused
// (model.ErrInvalid) naming the parameter, by the edge before any handler runs.
//
// A % must start an escape of two hexadecimal digits. The manual writes q=name~=IntelCore%
// with a bare % (the ~= wildcard); we refuse that form rather than guess, because a bare %
// followed by two hex digits (name~=%ab) would silently decode to another pattern: a client
// sends a literal % as %25 (q=name~=IntelCore%25), as the Go SDK does (it encodes every value
// with url.Values.Encode). + is a space, as in every form encoding.

const queryKey = "cloudbroker.query"

// Query is the request's query string decoded strictly (ParseQuery), once per request. The
// edge has already refused a request whose query string does not decode.
func Query(c *gin.Context) (url.Values, error) {
	if v, ok := c.Get(queryKey); ok {
		return v.(url.Values), nil
	}
	v, err := ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	c.Set(queryKey, v)
	return v, nil
}

// ParseQuery decodes a raw query string: pairs separated by &, key and value by the first =,
// each percent-decoded and valid UTF-8. An error wraps model.ErrInvalid and names the
// parameter and what is wrong with it.
func ParseQuery(raw string) (url.Values, error) {
	v := url.Values{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue // a&&b, a trailing &: nothing given
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := unescapeParam(rawKey)
		if err != nil {
			return nil, model.Errorf(model.ErrInvalid, "invalid query parameter name %q: %s", short(rawKey), err.Error())
		}
		name := key
		if name == "" {
			name = short(pair)
		}
		if strings.Contains(rawKey, ";") || strings.Contains(rawValue, ";") {
			// Some servers and proxies split on ;, others do not: refusing it leaves no doubt
			// about what was asked.
			return nil, model.Errorf(model.ErrInvalid, "invalid query parameter %q: a raw ';' is not allowed; send it as %%3B", short(name))
		}
		value, err := unescapeParam(rawValue)
		if err != nil {
			return nil, model.Errorf(model.ErrInvalid, "invalid query parameter %q: %s", short(name), err.Error())
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

// short cuts a caller's text quoted in an error.
func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

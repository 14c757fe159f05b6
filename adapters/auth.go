// Package adapters is the edge every dialect's routes pass through (edge.go: request ids,
// authentication, the caller's scope, rate limits, login throttling, public error texts) and
// what the dialects share besides: bearer tokens and bounded request bodies. Each dialect lives
// in its own sub-package and supplies only how to read its credentials and write its errors.
package adapters

import (
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strings"

	"cloudbroker/broker/model"
)

// Token is an API token and the caller it stands for.
type Token struct {
	Token  string
	Caller model.Caller
}

// Tokens checks bearer tokens.
type Tokens []Token

// Bearer authenticates an "Authorization: Bearer <token>" header.
func (ts Tokens) Bearer(r *http.Request) (model.Caller, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return model.Caller{}, NoCredentials(model.ErrUnauthorized, "missing Authorization: Bearer <token> header")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return model.Caller{}, model.Errorf(model.ErrUnauthorized, "Authorization header must be \"Bearer <token>\"")
	}
	return ts.Lookup(strings.TrimSpace(tok))
}

// Lookup finds the caller of a token, comparing in constant time.
func (ts Tokens) Lookup(tok string) (model.Caller, error) {
	for _, t := range ts {
		if subtle.ConstantTimeCompare([]byte(t.Token), []byte(tok)) == 1 {
			return t.Caller, nil
		}
	}
	return model.Caller{}, model.Errorf(model.ErrUnauthorized, "invalid token")
}

// ReadBody reads at most limit bytes of the body; a larger body is model.ErrTooLarge.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, model.Errorf(model.ErrTooLarge, "request body exceeds %d bytes", limit)
	}
	if err != nil {
		return nil, model.Errorf(model.ErrInvalid, "reading request body: %v", err)
	}
	return b, nil
}

package adapters

import (
	"github.com/gin-gonic/gin"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// BearerDialect is what the dialects that take Bearer tokens and JSON bodies (vcproxy, DiDi)
// share: a dialect's server embeds it and adds its name, its error shape and its decoding.
type BearerDialect struct {
	Broker *broker.Broker
	Tokens Tokens
	// MaxBody bounds request bodies.
	MaxBody int64
}

// Authenticate implements Dialect: "Authorization: Bearer <token>".
func (d BearerDialect) Authenticate(c *gin.Context) (model.Caller, error) {
	return d.Tokens.Bearer(c.Request)
}

// Bind reads the body and decodes it into v with decode; when it cannot, it answers the error
// in w's shape (Fail) and returns false.
func (d BearerDialect) Bind(c *gin.Context, w ErrorWriter, v any, decode func([]byte, any) error) bool {
	body, err := ReadBody(c.Writer, c.Request, d.MaxBody)
	if err == nil {
		err = decode(body, v)
	}
	if err != nil {
		Fail(c, w, err)
		return false
	}
	return true
}

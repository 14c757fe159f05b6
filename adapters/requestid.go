package adapters

import (
	"strings"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker"
)

const requestIDKey = "cloudbroker.requestId"

// RequestIDs gives every request an id before anything else runs: the caller's own
// X-Request-Id when it is safe to echo, else a new one. It is answered in the X-Request-Id
// header, carried by every log line of the request, and put in the bodies of dialects that
// have a field for it (DiDi's requestId), so one id traces a call from the client to the log.
func RequestIDs() gin.HandlerFunc {
	return func(c *gin.Context) {
		rid := c.GetHeader("X-Request-Id")
		if !saneRequestID(rid) {
			rid = broker.NewUUID()
		}
		c.Set(requestIDKey, rid)
		c.Header("X-Request-Id", rid)
	}
}

// RequestID is the request's id. A handler mounted without RequestIDs (a bare test engine)
// still gets one, made on first use.
func RequestID(c *gin.Context) string {
	if id := c.GetString(requestIDKey); id != "" {
		return id
	}
	id := broker.NewUUID()
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	return id
}

// saneRequestID accepts a caller's X-Request-Id that is safe to echo in headers, bodies and log
// lines and to grep for: 1 to 64 letters, digits and . _ : - (uuids, hex ids, trace ids).
func saneRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:-", r)) {
			return false
		}
	}
	return true
}

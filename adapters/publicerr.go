package adapters

import (
	"errors"
	"regexp"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker/model"
)

// addressPattern finds what an error text must not show a caller: URLs, IPv4 and bracketed
// IPv6 addresses (with or without a port), and host:port pairs ("redis.internal:6379"). They
// come from the network errors of Redis, drivers and agents ("dial tcp 10.0.0.5:6379: ...").
// A host needs a dot or is localhost, so times such as "2:20:57 PM" are left alone.
var addressPattern = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"',;)]+` +
	`|\[[0-9a-fA-F.%]*:[0-9a-fA-F:.%]*\](:\d+)?` +
	`|\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b` +
	`|\b(localhost|[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+):\d{1,5}\b`)

// hidden replaces an address in a caller's message.
const hidden = "<address>"

// PublicMessage is err's text as a caller may read it: the same words, with every network
// address replaced. The full text goes to the log under the request's id (Fail).
func PublicMessage(err error) string {
	if err == nil {
		return ""
	}
	return PublicText(err.Error())
}

// PublicText is an error text kept as a string (a provider's last sync error, a
// notification's), as a caller may read it.
func PublicText(s string) string { return addressPattern.ReplaceAllString(s, hidden) }

// ErrorWriter writes an error in one dialect's shape: it chooses the status and the vendor
// code from err (its one status mapping) and puts message, the public text, in the body.
type ErrorWriter interface {
	WriteError(c *gin.Context, err error, message string)
}

// Fail answers err in the dialect's shape. It is the one path every dialect's errors take:
// the caller reads the public message, a rate-limit refusal carries Retry-After, and an error
// the caller cannot act on alone (the broker's or a backend's, 5xx), or one whose text had to
// be cut, goes to the access log with the request's id.
func Fail(c *gin.Context, w ErrorWriter, err error) {
	var limited *RateLimitError
	if errors.As(err, &limited) {
		c.Header("Retry-After", limited.RetryAfterSeconds())
	}
	msg := PublicMessage(err)
	w.WriteError(c, err, msg)
	if c.Writer.Status() >= 500 || msg != err.Error() || model.KindOf(err) == "internal" {
		c.Error(err) // the access log prints it with the request id
	}
}

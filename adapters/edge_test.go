package adapters_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/adapters/console"
	"cloudbroker/adapters/didi"
	"cloudbroker/adapters/vcproxy"
	"cloudbroker/adapters/zstack"
	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// dialects are the three dialects and the console as the edge sees them.
func dialects() []adapters.Dialect {
	b := broker.New(broker.Options{Providers: broker.NewProviders(nil)})
	bd := adapters.BearerDialect{Broker: b, MaxBody: 1 << 20}
	return []adapters.Dialect{&vcproxy.Server{BearerDialect: bd}, &didi.Server{BearerDialect: bd}, zstack.New(b, zstack.Options{}), console.New(b, nil, 1<<20, nil)}
}

// Every model error kind has a status of its own in every dialect: none falls through to the
// dialect's "internal error" (500), which would tell a caller the broker is broken when it is
// the request, the provider or the caller's rate.
func TestEveryErrorKindHasAStatusInEveryDialect(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	for _, d := range dialects() {
		for _, kind := range model.Kinds() {
			for _, err := range []error{model.Errorf(kind, "wrapped"), &model.TaskError{Kind: model.KindOf(kind), Message: "from a worker"}} {
				w := httptest.NewRecorder()
				c, _ := gin.CreateTestContext(w)
				c.Request = httptest.NewRequest(http.MethodPost, "/", nil)
				adapters.Fail(c, d, fmt.Errorf("outer: %w", err))
				if w.Code == http.StatusInternalServerError || w.Code < 400 {
					t.Errorf("%s: %v (%T) answers %d; give %q a status in the dialect's status()", d.Name(), kind, err, w.Code, model.KindOf(kind))
				}
			}
		}
	}
}

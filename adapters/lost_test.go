package adapters_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"

	"cloudbroker/adapters"
	"cloudbroker/broker/model"
)

var requestID = regexp.MustCompile(`"requestId":"[0-9a-f]*"`)

// A task lost with Redis's data answers 410 Gone in every dialect, with the dialect's code:
// distinct from "not found or expired" (404) and from a failed task.
func TestLostAnswersGoneInEveryDialect(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	want := map[string]string{
		"vcproxy": `{"errcode":"410","errmsg":"task x was lost: lost with Redis's data"}`,
		"didi":    `{"errno":2,"errmsg":"task x was lost: lost with Redis's data","requestId":""}`,
		"zstack":  `{"error":{"code":"SYS.1003","description":"Unable to find resource","details":"task x was lost: lost with Redis's data"}}`,
		"console": `{"error":"task x was lost: lost with Redis's data","kind":"lost"}`,
	}
	for _, d := range dialects() {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest(http.MethodPost, "/", nil)
		adapters.Fail(c, d, model.Errorf(model.ErrLost, "task x was lost"))
		if diff := cmp.Diff(http.StatusGone, w.Code); diff != "" {
			t.Errorf("%s: status (-want +got):\n%s", d.Name(), diff)
		}
		body := requestID.ReplaceAllString(w.Body.String(), `"requestId":""`) // random per request
		if diff := cmp.Diff(want[d.Name()], body); diff != "" {
			t.Errorf("%s: body (-want +got):\n%s", d.Name(), diff)
		}
	}
}

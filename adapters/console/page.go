package console

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker/model"
)

// static is the page: plain HTML, CSS and JavaScript, no build step, nothing from elsewhere.
//
//go:embed static
var static embed.FS

// policy lets the page load only from the broker and run only its own script: no inline code,
// no external font, script or connection, not framed by another site.
const policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// page is GET /ui/.
func (s *Server) page(c *gin.Context) { s.serve(c, "index.html") }

// asset is GET /ui/assets/{file}.
func (s *Server) asset(c *gin.Context) {
	name := strings.TrimPrefix(path.Clean("/"+c.Param("file")), "/")
	if name == "index.html" { // one address for the page
		name = ""
	}
	s.serve(c, name)
}

func (s *Server) serve(c *gin.Context, name string) {
	body, err := fs.ReadFile(static, "static/"+name)
	typ, known := contentTypes[path.Ext(name)]
	if name == "" || err != nil || !known {
		s.fail(c, model.Errorf(model.ErrNotFound, "no such console file: %q", c.Request.URL.Path))
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", policy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	c.Data(http.StatusOK, typ, body)
}

package zstack

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/gin-gonic/gin"
)

// jsonBufs are the buffers query answers are encoded in: an answer of a thousand inventories
// is a megabyte, which c.JSON allocates afresh (and copies) on every request.
var jsonBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// jsonBufMax is the largest buffer kept for reuse; a rare huge answer is let go.
const jsonBufMax = 4 << 20

// writeJSON answers code with body, byte for byte what c.JSON writes (json.Marshal: HTML
// escaped, no trailing newline, the same Content-Type).
func writeJSON(c *gin.Context, code int, body any) {
	buf := jsonBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= jsonBufMax {
			buf.Reset()
			jsonBufs.Put(buf)
		}
	}()
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(body); err != nil {
		c.JSON(code, body) // as c.JSON fails
		return
	}
	c.Data(code, "application/json; charset=utf-8", bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

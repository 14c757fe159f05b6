package queue

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// A clean shutdown's "shared client" note from asynq is not logged as an error; real errors are.
func TestAsynqSharedClientNoteIsNotAnError(t *testing.T) {
	var buf bytes.Buffer
	l := asynqLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	l.Error(sharedClientNotClosed)
	if buf.Len() != 0 {
		t.Errorf("shared-client note logged at info or above: %s", buf.String())
	}
	l.Error("Dequeue error: ", "boom")
	if !strings.Contains(buf.String(), "level=ERROR") || !strings.Contains(buf.String(), "Dequeue error: boom") {
		t.Errorf("a real error was not logged as one: %s", buf.String())
	}
}

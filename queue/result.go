package queue

import (
	"encoding/json"

	"cloudbroker/broker/model"
)

// outcome is what a worker writes with asynq's ResultWriter when a task ends. A task is done
// exactly when its outcome is written, which happens once, at the end of the last attempt.
type outcome struct {
	OK         bool             `json:"ok"`
	Data       json.RawMessage  `json:"data,omitempty"`
	Error      *model.TaskError `json:"error,omitempty"`
	FinishedMs int64            `json:"finishedMs"`
}

package broker

import (
	"context"
	"encoding/json"
	"time"

	"cloudbroker/broker/model"
)

// Task types: one per cloud operation. They name asynq task types too.
const (
	TypeVMDiskInfo = "vm:diskinfo"
	TypeVMList     = "vm:list"
)

// TaskState is where a task is in its life.
type TaskState string

const (
	TaskPending   TaskState = "pending"   // queued, no worker has it yet
	TaskRunning   TaskState = "running"   // a worker runs it
	TaskRetrying  TaskState = "retrying"  // failed transiently, waits for its next attempt
	TaskSucceeded TaskState = "succeeded" // done, Result holds the answer
	TaskFailed    TaskState = "failed"    // done, Err says why
	TaskCanceled  TaskState = "canceled"  // done: canceled before it finished, Err says by whom
)

// Done reports whether the state is final.
func (s TaskState) Done() bool { return s == TaskSucceeded || s == TaskFailed || s == TaskCanceled }

// TaskSpec is what a task does. It goes into the task payload in Redis, so it must never carry
// credentials: the worker holds those.
type TaskSpec struct {
	Type     string `json:"type"`
	Provider string `json:"provider"`
	// ClientID names the agent whose queue runs the task; empty for the broker's own workers.
	ClientID string `json:"clientid,omitempty"`
	// VMID is the broker uuid of the VM the task is about, NativeID the provider's id for it.
	VMID     string          `json:"vmid,omitempty"`
	NativeID string          `json:"nativeId,omitempty"`
	Args     json.RawMessage `json:"args,omitempty"`
	// Owner is the caller that submitted a task on no provider (a ZStack tag or licence API):
	// only it and callers that see every provider may read the task.
	Owner string `json:"owner,omitempty"`
	// Background marks a task the broker submitted for itself (model.System's: a provider
	// list's refresh every period, a start-up listing). It is a task like any, readable by its
	// id, but not listed among the recent tasks, which are the callers' own work, and its
	// failure is no TaskFailed notification.
	Background bool `json:"background,omitempty"`
}

// Task is a submitted TaskSpec and what became of it.
type Task struct {
	ID       string    `json:"id"`
	Spec     TaskSpec  `json:"spec"`
	Describe string    `json:"describe"`
	State    TaskState `json:"state"`
	// Result is the type-specific answer of a succeeded task (DiskInfoResult, VMListResult).
	Result json.RawMessage `json:"result,omitempty"`
	// Err is why a task failed; LastError why the last attempt of a retrying task failed.
	Err       *model.TaskError `json:"error,omitempty"`
	LastError string           `json:"lastError,omitempty"`
	Retried   int              `json:"retried"`
	// Progress is the last progress a running task reported (nil if none).
	Progress   *Progress `json:"progress,omitempty"`
	InsertTime time.Time `json:"insertTime"`
	UpdateTime time.Time `json:"updateTime"`
	ExpireTime time.Time `json:"expireTime"`
}

// TaskQueue runs tasks somewhere else (an asynq queue on Redis); queue.Queue implements it,
// every part of it: the broker has no branch for a queue that cannot do one of them.
type TaskQueue interface {
	// Submit enqueues the task and returns its pending record; opts may choose its id (WithID).
	Submit(ctx context.Context, spec TaskSpec, opts ...SubmitOption) (Task, error)
	// Get returns the task's current record, or an error wrapping model.ErrNotFound once it
	// expired or if it never existed.
	Get(ctx context.Context, id string) (Task, error)
	// Wait blocks until the task is done or ctx ends; on ctx's end it returns the task as it
	// stands and ctx's error.
	Wait(ctx context.Context, id string) (Task, error)
	Canceler
	Recorder
	JobIndex
	ProgressLog
	TaskHistory
}

// DiskInfoResult is the Result of a TypeVMDiskInfo task.
type DiskInfoResult struct {
	VMID  string       `json:"vmid"`
	Disks []model.Disk `json:"disks"`
}

// VMListResult is the Result of a TypeVMList task.
type VMListResult struct {
	VMs []model.VM `json:"vms"`
}

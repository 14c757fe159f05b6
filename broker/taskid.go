package broker

// A dialect can choose a task's id: ZStack's X-Job-UUID names the job a call creates, and a
// retried call with the same id must find the job it created the first time. The id is an
// option of the one submit that takes it, so a task the request submits on the way (an unknown
// vmid triggers a VM listing) never takes it.

// SubmitOption changes how a task is submitted (WithID).
type SubmitOption func(*SubmitOptions)

// SubmitOptions are the options a submission was given; the TaskQueue reads them.
type SubmitOptions struct {
	// ID is the caller-chosen task id; "" for a fresh one.
	ID string
	// Waited: the caller waits for the task now (Waited).
	Waited bool
}

// WithID asks that the task take id ("" changes nothing). Submitting twice with the same id and
// the same spec returns the first task (a retry); an id that names any other task (another
// spec, another caller, any queue or state, even one whose record expired) fails with an error
// wrapping model.ErrInvalid that says nothing of that task, and leaves it as it was.
func WithID(id string) SubmitOption { return func(o *SubmitOptions) { o.ID = id } }

// ApplySubmitOptions folds opts into their values.
func ApplySubmitOptions(opts []SubmitOption) SubmitOptions {
	var o SubmitOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Waited says the caller waits for the task now (a sync request). A queue that runs the task's
// queue in this process may start it at once, recorded like any task, instead of leaving it
// for a worker's next poll; anything else submits it as usual.
func Waited() SubmitOption { return func(o *SubmitOptions) { o.Waited = true } }

package model

import (
	"errors"
	"fmt"
)

// Sentinel errors shared by drivers, the broker and the dialects. Drivers wrap them with %w;
// each dialect maps them to its own status and error code in one function.
var (
	// ErrNotFound: the named VM, task, image or provider does not exist (or is not visible).
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the request is malformed or names something impossible.
	ErrInvalid = errors.New("invalid request")
	// ErrUnauthorized: missing or wrong credentials.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrUnsupported: the provider's driver lacks the capability asked for.
	ErrUnsupported = errors.New("not supported by this provider")
	// ErrUnavailable: the backend (cloud endpoint, agent, Redis) cannot be reached now; transient.
	ErrUnavailable = errors.New("backend unavailable")
	// ErrTimeout: the operation did not finish in the time allowed; it may still finish later.
	ErrTimeout = errors.New("timed out")
	// ErrTooLarge: a request body exceeds the configured limit.
	ErrTooLarge = errors.New("request too large")
	// ErrConflict: the resource is in a state that forbids the operation.
	ErrConflict = errors.New("conflict")
	// ErrCanceled: the task was canceled before it finished.
	ErrCanceled = errors.New("canceled")
	// ErrRateLimited: the caller sent more requests than its rate allows; retry later.
	ErrRateLimited = errors.New("rate limited")
	// ErrLost: the task was accepted, but Redis lost its data (a restart without persistence,
	// FLUSHALL, a failover to an empty replica) before the task's retention ended: whether it
	// ran, and what it did, is unknown. Not an expiry, not a failure.
	ErrLost = errors.New("lost with Redis's data")
)

// kinds names each sentinel so an error survives a trip through Redis as a TaskError. It is a
// list, not a map, so an error that wraps two sentinels always gets the same (first) kind.
var kinds = []struct {
	name string
	err  error
}{
	{"lost", ErrLost},
	{"not_found", ErrNotFound},
	{"invalid", ErrInvalid},
	{"unauthorized", ErrUnauthorized},
	{"unsupported", ErrUnsupported},
	{"canceled", ErrCanceled},
	{"rate_limited", ErrRateLimited},
	{"too_large", ErrTooLarge},
	{"conflict", ErrConflict},
	{"timeout", ErrTimeout},
	{"unavailable", ErrUnavailable},
}

// Kinds are every sentinel, in KindOf's order: a dialect's status mapping must give each a
// status of its own (its tests range over them).
func Kinds() []error {
	out := make([]error, len(kinds))
	for i, k := range kinds {
		out[i] = k.err
	}
	return out
}

func sentinel(kind string) error {
	for _, k := range kinds {
		if k.name == kind {
			return k.err
		}
	}
	return nil
}

// KindOf returns the name of the sentinel err wraps, or "internal".
func KindOf(err error) string {
	var te *TaskError
	if errors.As(err, &te) {
		return te.Kind
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "internal"
}

// TaskError is an error that crossed a process boundary: its Kind restores errors.Is.
type TaskError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func (e *TaskError) Error() string { return e.Message }

// Unwrap lets errors.Is(err, ErrNotFound) work on an error decoded from a task result.
func (e *TaskError) Unwrap() error { return sentinel(e.Kind) }

// NewTaskError captures err for serialization.
func NewTaskError(err error) *TaskError {
	if err == nil {
		return nil
	}
	var te *TaskError
	if errors.As(err, &te) {
		return te
	}
	return &TaskError{Kind: KindOf(err), Message: err.Error()}
}

// Errorf wraps a sentinel with a message: Errorf(ErrNotFound, "vm %q", id).
func Errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), sentinel)
}

// Package failure sorts errors into the categories that kubexm reports to the
// shell as stable exit codes.
//
// Code that knows why something failed wraps the error once with a category
// (failure.Config, failure.Unreachable, ...); everything above it keeps
// wrapping with %w, and the CLI maps the outermost error to an exit code with
// ExitCode. Scripts that drive kubexm may rely on these codes.
package failure

import (
	"context"
	"errors"
)

// Category is the kind of a failure, as the operator should read it.
type Category int

// The categories, from the most specific cause to the least. The order is the
// order in which ExitCode looks for them.
const (
	// Internal is a bug or an unexpected condition in kubexm itself.
	Internal Category = iota
	// Usage is a wrong command line: an unknown flag, a missing argument, an
	// illegal combination of modes.
	Usage
	// Config is a cluster config that cannot be loaded or does not validate.
	Config
	// Unreachable is a host that cannot be dialled or authenticated against.
	Unreachable
	// StepFailed is a step of a pipeline that ran and failed on a host.
	StepFailed
	// Interrupted is a run stopped by the operator (Ctrl-C) or a deadline.
	Interrupted
)

// String names the category for logs and JSON output.
func (c Category) String() string {
	switch c {
	case Usage:
		return "usage"
	case Config:
		return "config"
	case Unreachable:
		return "unreachable"
	case StepFailed:
		return "step-failed"
	case Interrupted:
		return "interrupted"
	default:
		return "internal"
	}
}

// categorized carries a category alongside the error it wraps.
type categorized struct {
	cat Category
	err error
}

func (e *categorized) Error() string { return e.err.Error() }
func (e *categorized) Unwrap() error { return e.err }

// Wrap marks err as belonging to category c. It returns nil for a nil err,
// so it can wrap a call's result directly.
func Wrap(c Category, err error) error {
	if err == nil {
		return nil
	}
	return &categorized{cat: c, err: err}
}

// Is reports whether err, or any error it wraps, was marked with category c.
func Is(err error, c Category) bool {
	return CategoryOf(err) == c
}

// CategoryOf returns the category of err: the innermost category it was
// marked with (the code nearest the cause knows it best: an unreachable host
// stays unreachable however many layers wrap it), Interrupted for a cancelled
// context, and Internal otherwise.
func CategoryOf(err error) Category {
	cat, found := Internal, false
	for e := err; ; {
		var ce *categorized
		if !errors.As(e, &ce) {
			break
		}
		cat, found, e = ce.cat, true, ce.err
	}
	if !found && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return Interrupted
	}
	return cat
}

// ExitCode maps err to the process exit code. The codes are part of kubexm's
// interface and do not change between releases:
//
//	0   success
//	1   internal error
//	2   usage error
//	3   bad config
//	4   host unreachable
//	5   step failed
//	130 interrupted (as a shell reports SIGINT)
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	switch CategoryOf(err) {
	case Usage:
		return 2
	case Config:
		return 3
	case Unreachable:
		return 4
	case StepFailed:
		return 5
	case Interrupted:
		return 130
	default:
		return 1
	}
}

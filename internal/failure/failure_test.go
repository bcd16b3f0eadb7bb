package failure

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestExitCode(t *testing.T) {
	cause := errors.New("cause")
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "success", err: nil, want: 0},
		{name: "unmarked is internal", err: cause, want: 1},
		{name: "usage", err: Wrap(Usage, cause), want: 2},
		{name: "config", err: Wrap(Config, cause), want: 3},
		{name: "unreachable", err: Wrap(Unreachable, cause), want: 4},
		{name: "step failed", err: Wrap(StepFailed, cause), want: 5},
		{name: "interrupted", err: Wrap(Interrupted, cause), want: 130},
		{name: "cancelled context", err: fmt.Errorf("running: %w", context.Canceled), want: 130},
		{name: "wrapped keeps its category", err: fmt.Errorf("outer: %w", Wrap(Config, cause)),
			want: 3},
		{name: "innermost category wins",
			err: Wrap(StepFailed, fmt.Errorf("step: %w", Wrap(Unreachable, cause))), want: 4},
		{name: "joined errors take the first marked",
			err: errors.Join(cause, Wrap(Unreachable, cause)), want: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestWrapNil(t *testing.T) {
	if Wrap(Config, nil) != nil {
		t.Error("Wrap(Config, nil) is not nil")
	}
}

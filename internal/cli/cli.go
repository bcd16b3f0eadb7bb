// Package cli is the command line of kubexm and kubexm-builder: the cobra
// commands, their flags, and the one place that turns an error into a
// message and an exit code. Commands parse flags and call one library
// function each; the work lives in the pipelines.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kubexm/kubexm/internal/failure"
)

// Execute runs root with the process's arguments and returns the exit code.
// The first SIGINT or SIGTERM cancels the run (steps in flight are ended,
// nothing new starts, a summary is printed); a second one exits at once.
func Execute(root *cobra.Command) int {
	return ExecuteContext(context.Background(), root)
}

// ExecuteContext is Execute under ctx, for callers (tests, the installer)
// that cancel the run themselves.
func ExecuteContext(ctx context.Context, root *cobra.Command) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // the next signal takes the default action: the process ends
	}()

	root.SilenceErrors, root.SilenceUsage = true, true
	var ran bool
	markRan(root, &ran)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return failure.Wrap(failure.Usage, fmt.Errorf("%w (see %s --help)", err, c.CommandPath()))
	})

	err := root.ExecuteContext(ctx)
	if err != nil && !ran && failure.CategoryOf(err) == failure.Internal {
		err = failure.Wrap(failure.Usage, err) // cobra refused the command line
	}
	printError(root.ErrOrStderr(), err)
	return failure.ExitCode(err)
}

// markRan makes every command of the tree set *ran as its RunE starts,
// which cobra calls only once the command line has been accepted: Execute
// tells cobra's command-line errors (unknown flags, required flags,
// arguments) from the command's by it.
func markRan(c *cobra.Command, ran *bool) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			*ran = true
			return run(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		markRan(sub, ran)
	}
}

func printError(w io.Writer, err error) {
	if err != nil {
		fmt.Fprintf(w, "error: %v\n", err)
	}
}

// usageError is an illegal command line found by a command itself.
func usageError(format string, args ...any) error {
	return failure.Wrap(failure.Usage, fmt.Errorf(format, args...))
}

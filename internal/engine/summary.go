package engine

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Status is how a host's part of a task ended.
type Status string

// The statuses of a host in a task.
const (
	// StatusOK: every step ran or was skipped as already done.
	StatusOK Status = "ok"
	// StatusFailed: a step failed on the host.
	StatusFailed Status = "failed"
	// StatusStopped: the host did not finish because the task or the run
	// stopped (another host failed, or the run was interrupted).
	StatusStopped Status = "stopped"
)

// Outcome is how one host's part of one task ended.
type Outcome struct {
	Module   string        `json:"module"`
	Task     string        `json:"task"`
	Host     string        `json:"host"`
	Status   Status        `json:"status"`
	Ran      int           `json:"ran"`     // steps run to success
	Skipped  int           `json:"skipped"` // steps skipped as done or resumed
	Duration time.Duration `json:"duration"`
	Err      error         `json:"-"`
	Error    string        `json:"error,omitempty"` // Err's message, for JSON
	Step     string        `json:"step,omitempty"`  // the step that failed or was stopped

	order [3]int // module, task and host index, as the plan lists them
}

// Summary is what a run did, host by host and task by task.
type Summary struct {
	Pipeline string        `json:"pipeline"`
	Mode     Mode          `json:"mode"`
	Outcomes []Outcome     `json:"outcomes"`
	Duration time.Duration `json:"duration"`
}

// Failed returns the outcomes that did not end OK.
func (s *Summary) Failed() []Outcome {
	var out []Outcome
	for _, o := range s.Outcomes {
		if o.Status != StatusOK {
			out = append(out, o)
		}
	}
	return out
}

// WriteText writes the summary as a table, one row per task and host.
func (s *Summary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODULE\tTASK\tHOST\tSTATUS\tSTEPS RUN\tSKIPPED\tTIME")
	for _, o := range s.Outcomes {
		status := string(o.Status)
		if o.Step != "" && o.Status != StatusOK {
			status += " at " + o.Step
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", o.Module, o.Task, o.Host, status,
			o.Ran, o.Skipped, o.Duration.Round(time.Millisecond))
	}
	return tw.Flush()
}

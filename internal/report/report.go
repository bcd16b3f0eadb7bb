// Package report shows a run's progress to people and programs: a live
// status on a terminal, plain lines when the output is not a terminal, and
// JSON lines for programs. Each is an engine.Reporter; none of them writes
// the run log (see package runlog), which keeps far more detail.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/kubexm/kubexm/internal/engine"
)

// Format is how a run reports: text for people, or JSON lines.
type Format string

// The formats of --output.
const (
	Text Format = "text"
	JSON Format = "json"
)

// ParseFormat checks an --output value.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case Text, JSON:
		return Format(s), nil
	}
	return "", fmt.Errorf("--output %q: want text or json", s)
}

// Closer is a reporter that must be closed when the run ends, to stop its
// redraws and leave the terminal clean.
type Closer interface {
	engine.Reporter
	Close()
}

// New returns the reporter for format writing to w: JSON lines, the live
// terminal status when w is a terminal, plain lines otherwise.
func New(format Format, w io.Writer) Closer {
	switch {
	case format == JSON:
		return &jsonLines{enc: json.NewEncoder(w)}
	case isTerminal(w):
		return NewTerminal(w)
	default:
		return NewPlain(w)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// jsonLines writes each event as one JSON object per line.
type jsonLines struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (j *jsonLines) Report(e engine.Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	_ = j.enc.Encode(e) // a closed stdout must not fail the run
}

func (*jsonLines) Close() {}

// Plain writes one line per event that a person reading a CI log wants:
// modules and tasks starting and ending, each step's end on each host.
type Plain struct {
	mu sync.Mutex
	w  io.Writer
}

// NewPlain returns a Plain reporter writing to w.
func NewPlain(w io.Writer) *Plain { return &Plain{w: w} }

// Report writes e, if it is worth a line.
func (p *Plain) Report(e engine.Event) {
	line := plainLine(e)
	if line == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s %s\n", e.Time.Format("15:04:05"), line)
}

// Close does nothing; Plain keeps no state.
func (*Plain) Close() {}

func plainLine(e engine.Event) string {
	where := e.Module + "/" + e.Task
	switch e.Kind {
	case engine.PipelineStart:
		return fmt.Sprintf("pipeline %s (%s) started", e.Pipeline, e.Mode)
	case engine.ModuleStart:
		return fmt.Sprintf("module %s started", e.Module)
	case engine.TaskStart:
		return fmt.Sprintf("[%s] started on %d host(s)", where, len(e.Hosts))
	case engine.StepDone:
		line := fmt.Sprintf("[%s] %s: %s done (%s)", where, e.Host, e.Step, round(e.Duration))
		if e.Reason != "" {
			line += ", found: " + e.Reason
		}
		return line
	case engine.StepSkip:
		return fmt.Sprintf("[%s] %s: %s skipped: %s", where, e.Host, e.Step, e.Reason)
	case engine.StepRetry:
		return fmt.Sprintf("[%s] %s: %s attempt %d failed, %s: %s", where, e.Host, e.Step,
			e.Attempt, e.Reason, e.Err)
	case engine.StepFail:
		return fmt.Sprintf("[%s] %s: %s FAILED: %s", where, e.Host, e.Step, e.Err)
	case engine.TaskDone:
		return fmt.Sprintf("[%s] %s (%s)", where, e.Status, round(e.Duration))
	case engine.ModuleDone:
		return fmt.Sprintf("module %s %s (%s)", e.Module, e.Status, round(e.Duration))
	case engine.PipelineDone:
		return fmt.Sprintf("pipeline %s %s (%s)", e.Pipeline, e.Status, round(e.Duration))
	}
	return ""
}

func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

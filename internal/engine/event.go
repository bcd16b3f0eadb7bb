package engine

import (
	"sync"
	"time"
)

// EventKind says what an Event reports.
type EventKind string

// The kinds of events, in the order a run emits them.
const (
	PipelineStart EventKind = "pipeline-start"
	ModuleStart   EventKind = "module-start"
	TaskStart     EventKind = "task-start"
	StepStart     EventKind = "step-start"
	StepProgress  EventKind = "step-progress"
	// StepRetry is a failed attempt that will be tried again.
	StepRetry EventKind = "step-retry"
	// StepSkip is a step not run: its work was already done, or the resume
	// record says it completed in an earlier run. Reason says which.
	StepSkip EventKind = "step-skip"
	StepDone EventKind = "step-done"
	StepFail EventKind = "step-fail"
	// HostDone closes a host's part of a task; Status says how it ended.
	HostDone     EventKind = "host-done"
	TaskDone     EventKind = "task-done"
	ModuleDone   EventKind = "module-done"
	PipelineDone EventKind = "pipeline-done"
)

// Event is one thing that happened in a run. Fields that do not apply to
// its kind are empty.
type Event struct {
	Time     time.Time     `json:"time"`
	Kind     EventKind     `json:"kind"`
	Pipeline string        `json:"pipeline"`
	Mode     Mode          `json:"mode,omitempty"`
	Module   string        `json:"module,omitempty"`
	Task     string        `json:"task,omitempty"`
	Step     string        `json:"step,omitempty"`
	Host     string        `json:"host,omitempty"`
	Hosts    []string      `json:"hosts,omitempty"` // task-start: the hosts chosen
	Status   Status        `json:"status,omitempty"`
	Attempt  int           `json:"attempt,omitempty"`
	Reason   string        `json:"reason,omitempty"`
	Message  string        `json:"message,omitempty"`
	Done     int64         `json:"done,omitempty"`
	Total    int64         `json:"total,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	Err      string        `json:"error,omitempty"`
}

// Reporter receives a run's events. The engine calls it from several
// goroutines, one event at a time: calls are serialised by the engine.
type Reporter interface {
	Report(Event)
}

// ReporterFunc adapts a function to a Reporter.
type ReporterFunc func(Event)

// Report calls f(e).
func (f ReporterFunc) Report(e Event) { f(e) }

// Reporters fans events out to several reporters in order.
func Reporters(rs ...Reporter) Reporter {
	return ReporterFunc(func(e Event) {
		for _, r := range rs {
			if r != nil {
				r.Report(e)
			}
		}
	})
}

// serialReporter stamps events and serialises calls to the wrapped reporter.
type serialReporter struct {
	mu  sync.Mutex
	r   Reporter
	now func() time.Time
}

func (s *serialReporter) report(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	if s.r != nil {
		s.r.Report(e)
	}
}

package engine

import (
	"context"
	"sync"
	"time"

	"github.com/kubexm/kubexm/internal/host"
)

// Step is the smallest unit of work: one action on one host. Steps are
// values built by a module with everything they need; the engine hands them
// the host and the run's context.
type Step interface {
	// Name identifies the step within its task, in plans, events and the
	// resume record. It must be unique within the task.
	Name() string

	// Run does the work on rt.Host.
	Run(ctx context.Context, rt *Runtime) error
}

// Checker is implemented by steps that can tell their work is already done
// on a host, so that a second run changes nothing. When Done reports true the
// engine skips Run and reports the step as skipped.
type Checker interface {
	Done(ctx context.Context, rt *Runtime) (bool, error)
}

// Policy is how the engine runs a step: a time limit per attempt and retries
// with backoff. The zero Policy runs a step once, with no time limit.
type Policy struct {
	// Timeout bounds each attempt; zero means no limit.
	Timeout time.Duration
	// Retries is how many more attempts follow a failed one.
	Retries int
	// Backoff is the wait before the first retry; it doubles before each
	// later one, up to MaxBackoff. The default is one second.
	Backoff time.Duration
	// MaxBackoff caps the wait between attempts. The default is 30 seconds.
	MaxBackoff time.Duration
}

// PolicyStep is implemented by steps that ask for a timeout or retries.
type PolicyStep interface {
	Policy() Policy
}

// WithPolicy returns s run under p. The result keeps s's name and its Done
// check, if it has one.
func WithPolicy(s Step, p Policy) Step {
	if c, ok := s.(Checker); ok {
		return &checkedPolicyStep{policyStep{s, p}, c}
	}
	return &policyStep{s, p}
}

type policyStep struct {
	Step
	policy Policy
}

func (s *policyStep) Policy() Policy { return s.policy }

type checkedPolicyStep struct {
	policyStep
	Checker
}

// policyOf returns the step's policy with defaults filled in.
func policyOf(s Step) Policy {
	var p Policy
	if ps, ok := s.(PolicyStep); ok {
		p = ps.Policy()
	}
	if p.Backoff <= 0 {
		p.Backoff = time.Second
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 30 * time.Second
	}
	return p
}

// backoff is the wait before attempt n (n >= 2) under p.
func (p Policy) backoff(n int) time.Duration {
	d := p.Backoff
	for i := 2; i < n && d < p.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, p.MaxBackoff)
}

// StepFunc adapts a function to a Step, for small steps that need no state
// of their own.
func StepFunc(name string, run func(ctx context.Context, rt *Runtime) error) Step {
	return funcStep{name, run}
}

type funcStep struct {
	name string
	run  func(ctx context.Context, rt *Runtime) error
}

func (s funcStep) Name() string                               { return s.name }
func (s funcStep) Run(ctx context.Context, rt *Runtime) error { return s.run(ctx, rt) }

// Runtime is what a step sees of the run it is part of.
type Runtime struct {
	// Host is the host the step runs on.
	Host host.Host
	// Mode is the pipeline's mode.
	Mode Mode
	// Pipeline, Module, Task and Step name where the step stands.
	Pipeline, Module, Task, Step string
	// Shared holds values that steps of one run hand to each other, such
	// as facts gathered by one step and checked by a later one.
	Shared *Shared

	report  func(Event)
	finding string
}

// Find records what a step that ran to its end found wrong, such as a
// preflight check that failed: the step succeeded and the run goes on (a
// later step decides what the findings mean), and the step's done event
// carries the finding, so the reporters show it rather than a tick.
func (rt *Runtime) Find(what string) { rt.finding = what }

// Progress reports progress of long work (a transfer, a count of items) to
// the run's reporters. done and total are in the unit the step chooses;
// total is zero when unknown.
func (rt *Runtime) Progress(msg string, done, total int64) {
	rt.report(Event{
		Kind: StepProgress, Pipeline: rt.Pipeline, Module: rt.Module, Task: rt.Task,
		Step: rt.Step, Host: rt.Host.Name(), Message: msg, Done: done, Total: total,
	})
}

// Shared is a concurrency-safe map of values keyed by host and name.
type Shared struct {
	mu sync.Mutex
	m  map[[2]string]any
}

// NewShared returns an empty Shared.
func NewShared() *Shared { return &Shared{m: make(map[[2]string]any)} }

// Set stores v under (hostName, key).
func (s *Shared) Set(hostName, key string, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[[2]string{hostName, key}] = v
}

// Get returns the value stored under (hostName, key).
func (s *Shared) Get(hostName, key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[[2]string{hostName, key}]
	return v, ok
}

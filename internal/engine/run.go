package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubexm/kubexm/internal/failure"
)

// RunOptions are what a run needs besides the pipeline.
type RunOptions struct {
	// Inventory supplies the hosts. Required.
	Inventory Inventory
	// Reporter receives the run's events. Optional.
	Reporter Reporter
	// State is the resume record. Optional: without it nothing is skipped
	// on the strength of an earlier run and nothing is recorded.
	State *State
	// Now is the clock. The default is time.Now.
	Now func() time.Time
}

// run is the state of one pipeline run.
type run struct {
	p      *Pipeline
	opts   RunOptions
	events *serialReporter
	shared *Shared

	mu       sync.Mutex
	outcomes []Outcome
}

// Run runs the pipeline and returns what it did. It stops at the first task
// that fails (unless the task continues on error) and when ctx is cancelled;
// steps already running are given ctx's cancellation, and no new step starts.
// The error is marked with a failure category: StepFailed or Unreachable for
// a failed step, Interrupted for a cancelled run.
func (p *Pipeline) Run(ctx context.Context, opts RunOptions) (*Summary, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &run{
		p: p, opts: opts, shared: NewShared(),
		events: &serialReporter{r: opts.Reporter, now: opts.Now},
	}
	if err := p.validate(); err != nil {
		return nil, failure.Wrap(failure.Internal, err)
	}

	start := opts.Now()
	r.emit(Event{Kind: PipelineStart, Mode: p.Mode})
	err := r.stages(ctx)
	r.sortOutcomes()
	sum := &Summary{Pipeline: p.Name, Mode: p.Mode, Outcomes: r.outcomes,
		Duration: opts.Now().Sub(start)}

	done := Event{Kind: PipelineDone, Mode: p.Mode, Duration: sum.Duration, Status: StatusOK}
	if err != nil {
		done.Status, done.Err = StatusFailed, err.Error()
		if failure.Is(err, failure.Interrupted) {
			done.Status = StatusStopped
		}
	}
	r.emit(done)
	return sum, err
}

func (r *run) emit(e Event) {
	e.Pipeline = r.p.Name
	r.events.report(e)
}

// errSiblingFailed stops the modules of a stage once one of them failed.
var errSiblingFailed = errors.New("another module of the stage failed")

// stages runs the stages in order, the modules of each in parallel. The
// first module of a stage to fail stops the others: their running steps
// are cancelled and they report as stopped, not failed.
func (r *run) stages(ctx context.Context) error {
	for _, stage := range r.p.stages {
		if err := interrupted(ctx); err != nil {
			return err
		}

		sctx, cancel := context.WithCancelCause(ctx)
		errs := make([]error, len(stage))
		var wg sync.WaitGroup
		for i, m := range stage {
			wg.Go(func() {
				if errs[i] = r.module(sctx, m); errs[i] != nil {
					cancel(errSiblingFailed)
				}
			})
		}
		wg.Wait()
		cancel(nil)

		if err := stageError(ctx, errs); err != nil {
			return err
		}
	}
	return nil
}

// stageError folds the errors of a stage's modules into one, leaving out
// the modules stopped because another failed.
func stageError(ctx context.Context, errs []error) error {
	if err := interrupted(ctx); err != nil {
		return err
	}
	var failed []error
	for _, err := range errs {
		if err != nil && !failure.Is(err, failure.Interrupted) {
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}

// module runs the module's tasks: in order, or all at once for a module
// whose tasks are independent.
func (r *run) module(ctx context.Context, m *Module) error {
	start := r.opts.Now()
	r.emit(Event{Kind: ModuleStart, Module: m.Name})

	var err error
	if m.Parallel {
		err = r.parallelTasks(ctx, m)
	} else {
		for _, t := range m.Tasks {
			if err = interrupted(ctx); err != nil {
				break
			}
			if err = r.task(ctx, m, t); err != nil {
				break
			}
		}
	}

	r.emit(doneEvent(ModuleDone, err, r.opts.Now().Sub(start), Event{Module: m.Name}))
	return err
}

// parallelTasks runs every task of m at once and joins their failures.
func (r *run) parallelTasks(ctx context.Context, m *Module) error {
	errs := make([]error, len(m.Tasks))
	var wg sync.WaitGroup
	for i, t := range m.Tasks {
		wg.Go(func() { errs[i] = r.task(ctx, m, t) })
	}
	wg.Wait()
	return firstError(ctx, errs)
}

// task runs the task's steps on each chosen host, the hosts in parallel up
// to the task's bound.
func (r *run) task(ctx context.Context, m *Module, t *Task) error {
	hosts := t.Hosts.resolve(r.opts.Inventory)
	start := r.opts.Now()
	r.emit(Event{Kind: TaskStart, Module: m.Name, Task: t.Name, Hosts: hosts})

	// stop ends the task early: on the first failure unless the task
	// continues on error. Steps already running keep ctx, so they finish;
	// stop only keeps new ones from starting.
	stopped := make(chan struct{})
	var stopOnce sync.Once
	stop := func() { stopOnce.Do(func() { close(stopped) }) }

	// Workers take the hosts in inventory order, so that a bounded task
	// goes through them in the order the operator listed them.
	limit := t.Parallel
	if limit <= 0 || limit > len(hosts) {
		limit = max(len(hosts), 1)
	}
	var next atomic.Int64
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for range limit {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(hosts); i = int(next.Add(1)) - 1 {
				errs[i] = r.hostSteps(ctx, stopped, m, t, hosts[i], i)
				if errs[i] != nil && !t.ContinueOnError {
					stop()
				}
			}
		})
	}
	wg.Wait()

	err := firstError(ctx, errs)
	r.emit(doneEvent(TaskDone, err, r.opts.Now().Sub(start), Event{Module: m.Name, Task: t.Name}))
	return err
}

// errStopped marks a host that did not finish because its task stopped; it
// is not a failure of its own.
var errStopped = errors.New("stopped")

// hostSteps runs the task's steps in order on one host and records the
// host's outcome.
func (r *run) hostSteps(ctx context.Context, stopped <-chan struct{}, m *Module, t *Task,
	name string, hostIndex int) error {

	o := Outcome{Module: m.Name, Task: t.Name, Host: name, Status: StatusOK,
		order: [3]int{r.modulePos(m), slices.Index(m.Tasks, t), hostIndex}}
	start := r.opts.Now()
	defer func() {
		o.Duration = r.opts.Now().Sub(start)
		if o.Err != nil {
			o.Error = o.Err.Error()
		}
		r.record(o)
	}()

	h, err := r.opts.Inventory.Host(name)
	if err != nil {
		o.Status, o.Err = StatusFailed, err
		return failure.Wrap(failure.Internal, fmt.Errorf("module %s, task %s: %w", m.Name, t.Name, err))
	}

	for _, s := range t.Steps {
		rt := &Runtime{Host: h, Mode: r.p.Mode, Pipeline: r.p.Name, Module: m.Name,
			Task: t.Name, Step: s.Name(), Shared: r.shared, report: r.emit}
		if isClosed(stopped) || ctx.Err() != nil {
			o.Status, o.Step = StatusStopped, s.Name()
			r.emitHostDone(o, start)
			if ctx.Err() != nil {
				return interrupted(ctx)
			}
			return errStopped
		}

		skipped, err := r.step(ctx, rt, s)
		switch {
		case err != nil && ctx.Err() != nil:
			o.Status, o.Step, o.Err = StatusStopped, s.Name(), err
			r.emitHostDone(o, start)
			return interrupted(ctx)
		case err != nil:
			o.Status, o.Step, o.Err = StatusFailed, s.Name(), err
			r.emitHostDone(o, start)
			return err
		case skipped:
			o.Skipped++
		default:
			o.Ran++
		}
	}

	r.emitHostDone(o, start)
	return nil
}

// emitHostDone closes a host's part of a task.
func (r *run) emitHostDone(o Outcome, start time.Time) {
	e := Event{Kind: HostDone, Module: o.Module, Task: o.Task, Host: o.Host, Status: o.Status,
		Step: o.Step, Duration: r.opts.Now().Sub(start)}
	if o.Err != nil {
		e.Err = o.Err.Error()
	}
	r.emit(e)
}

// modulePos is m's place in the pipeline, counting modules across stages.
func (r *run) modulePos(m *Module) int {
	n := 0
	for _, stage := range r.p.stages {
		for _, sm := range stage {
			if sm == m {
				return n
			}
			n++
		}
	}
	return n
}

// sortOutcomes orders the outcomes as the plan lists them: by module, task
// and host, whatever order they finished in.
func (r *run) sortOutcomes() {
	slices.SortStableFunc(r.outcomes, func(a, b Outcome) int {
		return slices.Compare(a.order[:], b.order[:])
	})
}

func (r *run) record(o Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes = append(r.outcomes, o)
}

// step runs one step on one host: skipped if the resume record or the
// step's own check says it is done, otherwise run under its policy.
func (r *run) step(ctx context.Context, rt *Runtime, s Step) (skipped bool, err error) {
	at := Event{Module: rt.Module, Task: rt.Task, Step: rt.Step, Host: rt.Host.Name()}

	if r.opts.State.Completed(rt.Module, rt.Task, rt.Step, at.Host) {
		r.emit(with(at, Event{Kind: StepSkip, Reason: "completed in an earlier run (--resume)"}))
		return true, nil
	}

	if c, ok := s.(Checker); ok {
		var done bool
		err := withTimeout(ctx, policyOf(s).Timeout, func(ctx context.Context) (err error) {
			done, err = c.Done(ctx, rt)
			return err
		})
		if err != nil {
			err = r.stepError(rt, fmt.Errorf("checking whether it is done: %w", err))
			r.emit(with(at, Event{Kind: StepFail, Err: err.Error()}))
			return false, err
		}
		if done {
			r.emit(with(at, Event{Kind: StepSkip, Reason: "already done"}))
			return true, r.markCompleted(rt)
		}
	}

	if err := r.attempts(ctx, rt, s, at); err != nil {
		return false, err
	}
	return false, r.markCompleted(rt)
}

// attempts runs s until it succeeds, its retries run out, or ctx ends.
func (r *run) attempts(ctx context.Context, rt *Runtime, s Step, at Event) error {
	p := policyOf(s)
	for attempt := 1; ; attempt++ {
		start := r.opts.Now()
		r.emit(with(at, Event{Kind: StepStart, Attempt: attempt}))

		rt.finding = ""
		err := runAttempt(ctx, rt, s, p.Timeout)
		elapsed := r.opts.Now().Sub(start)
		if err == nil {
			r.emit(with(at, Event{Kind: StepDone, Attempt: attempt, Duration: elapsed,
				Reason: rt.finding}))
			return nil
		}

		err = r.stepError(rt, err)
		if attempt > p.Retries || ctx.Err() != nil {
			r.emit(with(at, Event{Kind: StepFail, Attempt: attempt, Duration: elapsed,
				Err: err.Error()}))
			return err
		}

		wait := p.backoff(attempt + 1)
		r.emit(with(at, Event{Kind: StepRetry, Attempt: attempt, Duration: elapsed,
			Err: err.Error(), Reason: fmt.Sprintf("retrying in %s", wait)}))
		if err := sleep(ctx, wait); err != nil {
			return r.stepError(rt, err)
		}
	}
}

// runAttempt runs s once, within timeout if it is set.
func runAttempt(ctx context.Context, rt *Runtime, s Step, timeout time.Duration) error {
	return withTimeout(ctx, timeout, func(ctx context.Context) error { return s.Run(ctx, rt) })
}

// withTimeout runs fn within timeout if it is set: a step's check as well
// as its attempts, since a check runs commands on the host too.
func withTimeout(ctx context.Context, timeout time.Duration, fn func(context.Context) error) error {
	if timeout <= 0 {
		return fn(ctx)
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	err := fn(actx)
	if err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %s: %w", timeout, err)
	}
	return err
}

// stepError names where err happened and marks it as a failed step. A more
// specific category already on err (an unreachable host) still wins: see
// failure.CategoryOf.
func (r *run) stepError(rt *Runtime, err error) error {
	err = fmt.Errorf("module %s, task %s, step %s: host %s: %w",
		rt.Module, rt.Task, rt.Step, rt.Host.Name(), err)
	return failure.Wrap(failure.StepFailed, err)
}

func (r *run) markCompleted(rt *Runtime) error {
	err := r.opts.State.markCompleted(rt.Module, rt.Task, rt.Step, rt.Host.Name(), r.opts.Now())
	if err != nil {
		return failure.Wrap(failure.Internal, err)
	}
	return nil
}

// with fills e's place fields from at.
func with(at, e Event) Event {
	e.Module, e.Task, e.Step, e.Host = at.Module, at.Task, at.Step, at.Host
	return e
}

// doneEvent closes a module or task with how it ended.
func doneEvent(kind EventKind, err error, d time.Duration, at Event) Event {
	e := Event{Kind: kind, Module: at.Module, Task: at.Task, Duration: d, Status: StatusOK}
	switch {
	case err == nil:
	case failure.Is(err, failure.Interrupted):
		e.Status, e.Err = StatusStopped, err.Error()
	default:
		e.Status, e.Err = StatusFailed, err.Error()
	}
	return e
}

// interrupted returns the error of a cancelled run, or nil if ctx is live.
func interrupted(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	return failure.Wrap(failure.Interrupted, fmt.Errorf("interrupted: %w", context.Cause(ctx)))
}

// firstError folds the errors of parallel work into one: the interruption
// if ctx ended, else every failure joined (hosts that merely stopped are
// left out: the failure that stopped them is there).
func firstError(ctx context.Context, errs []error) error {
	if err := interrupted(ctx); err != nil {
		return err
	}
	var failed []error
	for _, err := range errs {
		if err != nil && !errors.Is(err, errStopped) {
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Package engine runs kubexm's pipelines.
//
// A Pipeline is a user intent (make-tar, create, preflight). It is a list of
// stages run in order; the modules of one stage run in parallel. A Module is a
// cohesive stage of work made of Tasks run in order. A Task runs its Steps on
// a set of hosts chosen by role (or on the control machine), the hosts in
// parallel up to a bound, each host's steps in order. A Step is one action on
// one host.
//
// The engine emits an Event for each start, skip, completion and failure, so
// that reporters and the run log see everything without the steps knowing of
// them, and it records completed (step, host) pairs so a run can resume.
package engine

import (
	"errors"
	"fmt"
)

// Control names the control machine: the one kubexm itself runs on.
const Control = "control"

// Pipeline is an ordered list of stages of modules.
type Pipeline struct {
	// Name identifies the pipeline in plans, events and the resume record.
	Name string
	// Mode is the mode every step of the pipeline sees.
	Mode Mode

	stages [][]*Module
}

// New returns an empty pipeline.
func New(name string, mode Mode) *Pipeline {
	return &Pipeline{Name: name, Mode: mode}
}

// Then appends a stage that runs m after every earlier stage has finished.
func (p *Pipeline) Then(m *Module) *Pipeline {
	p.stages = append(p.stages, []*Module{m})
	return p
}

// Parallel appends a stage whose modules are independent of each other and
// run at the same time, after every earlier stage has finished. A later stage
// starts only when all of them have.
func (p *Pipeline) Parallel(ms ...*Module) *Pipeline {
	if len(ms) > 0 {
		p.stages = append(p.stages, ms)
	}
	return p
}

// Stages returns the pipeline's stages in order.
func (p *Pipeline) Stages() [][]*Module { return p.stages }

// Module is a cohesive stage of work: its tasks run in order, or all at
// once when Parallel says they are independent of each other.
type Module struct {
	// Name identifies the module within its pipeline.
	Name string
	// Tasks are the module's work.
	Tasks []*Task
	// Parallel runs the tasks at the same time (downloads of separate
	// components, say). A failed task then does not stop the others.
	Parallel bool
}

// NewModule returns a module of the given tasks. A nil task is left out, so
// that modules can be built by conditional appends in one readable place.
func NewModule(name string, tasks ...*Task) *Module {
	m := &Module{Name: name}
	for _, t := range tasks {
		if t != nil {
			m.Tasks = append(m.Tasks, t)
		}
	}
	return m
}

// Task is one goal inside a module, run on a set of hosts.
type Task struct {
	// Name identifies the task within its module.
	Name string
	// Hosts chooses the hosts the task runs on.
	Hosts Selector
	// Steps run in order on each host.
	Steps []Step
	// Parallel bounds how many hosts run at once. Zero means all of them.
	Parallel int
	// ContinueOnError keeps the other hosts going after one host fails.
	// By default the first failure stops the task: steps already running
	// finish, no new step starts, and the run stops after the task.
	ContinueOnError bool
}

// Selector chooses the hosts of a task: the members of roles, or the control
// machine.
type Selector struct {
	Roles   []string
	Control bool
}

// OnRoles selects the hosts in any of the roles, each once, in the order of
// the inventory.
func OnRoles(roles ...string) Selector { return Selector{Roles: roles} }

// OnControl selects the control machine.
func OnControl() Selector { return Selector{Control: true} }

// validate checks that names are present and unique where the resume
// record and events need them to be.
func (p *Pipeline) validate() error {
	var errs []error
	if !p.Mode.Valid() {
		errs = append(errs, fmt.Errorf("pipeline %s: invalid mode %d", p.Name, int(p.Mode)))
	}

	modules := map[string]bool{}
	for _, stage := range p.stages {
		for _, m := range stage {
			if m.Name == "" || modules[m.Name] {
				errs = append(errs, fmt.Errorf("pipeline %s: module name %q is empty or repeated",
					p.Name, m.Name))
			}
			modules[m.Name] = true
			errs = append(errs, m.validate())
		}
	}
	return errors.Join(errs...)
}

func (m *Module) validate() error {
	var errs []error
	tasks := map[string]bool{}
	for _, t := range m.Tasks {
		if t.Name == "" || tasks[t.Name] {
			errs = append(errs, fmt.Errorf("module %s: task name %q is empty or repeated",
				m.Name, t.Name))
		}
		tasks[t.Name] = true

		if !t.Hosts.Control && len(t.Hosts.Roles) == 0 {
			errs = append(errs, fmt.Errorf("module %s, task %s: selects no hosts", m.Name, t.Name))
		}

		steps := map[string]bool{}
		for _, s := range t.Steps {
			if s.Name() == "" || steps[s.Name()] {
				errs = append(errs, fmt.Errorf("module %s, task %s: step name %q is empty or repeated",
					m.Name, t.Name, s.Name()))
			}
			steps[s.Name()] = true
		}
	}
	return errors.Join(errs...)
}

// LimitParallel caps every task's bound on hosts at once to n, for an
// operator who wants fewer connections at a time than the pipeline would
// open. n <= 0 leaves the bounds as they are.
func (p *Pipeline) LimitParallel(n int) {
	if n <= 0 {
		return
	}
	for _, stage := range p.stages {
		for _, m := range stage {
			for _, t := range m.Tasks {
				if t.Parallel <= 0 || t.Parallel > n {
					t.Parallel = n
				}
			}
		}
	}
}

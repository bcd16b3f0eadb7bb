package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Plan is what a pipeline would do, resolved against an inventory but
// without touching any host.
type Plan struct {
	Pipeline string      `json:"pipeline"`
	Mode     Mode        `json:"mode"`
	Stages   []PlanStage `json:"stages"`
}

// PlanStage is a stage of the plan; its modules run in parallel.
type PlanStage struct {
	Modules []PlanModule `json:"modules"`
}

// PlanModule is a module of the plan.
type PlanModule struct {
	Name     string     `json:"name"`
	Parallel bool       `json:"parallel,omitempty"` // tasks run at once
	Tasks    []PlanTask `json:"tasks"`
}

// PlanTask is a task of the plan with the hosts it would run on.
type PlanTask struct {
	Name     string   `json:"name"`
	Hosts    []string `json:"hosts"`
	Parallel int      `json:"parallel"` // hosts at once
	Steps    []string `json:"steps"`
}

// Plan resolves the pipeline against inv.
func (p *Pipeline) Plan(inv Inventory) (*Plan, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	plan := &Plan{Pipeline: p.Name, Mode: p.Mode, Stages: []PlanStage{}}
	for _, stage := range p.stages {
		var ps PlanStage
		for _, m := range stage {
			ps.Modules = append(ps.Modules, planModule(m, inv))
		}
		plan.Stages = append(plan.Stages, ps)
	}
	return plan, nil
}

func planModule(m *Module, inv Inventory) PlanModule {
	pm := PlanModule{Name: m.Name, Parallel: m.Parallel, Tasks: []PlanTask{}}
	for _, t := range m.Tasks {
		pt := PlanTask{Name: t.Name, Hosts: t.Hosts.resolve(inv), Steps: []string{}}
		pt.Parallel = t.Parallel
		if pt.Parallel <= 0 || pt.Parallel > len(pt.Hosts) {
			pt.Parallel = len(pt.Hosts)
		}
		for _, s := range t.Steps {
			pt.Steps = append(pt.Steps, s.Name())
		}
		pm.Tasks = append(pm.Tasks, pt)
	}
	return pm
}

// WriteJSON writes the plan as indented JSON.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// WriteText writes the plan as an indented tree:
//
//	pipeline preflight (online+direct)
//	  1  module preflight
//	       task check hosts  on node1, node2 (2 at a time)
//	         - gather facts
func (p *Plan) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "pipeline %s (%s)\n", p.Pipeline, p.Mode)
	for i, stage := range p.Stages {
		label := fmt.Sprintf("%d", i+1)
		if len(stage.Modules) > 1 {
			fmt.Fprintf(&b, "  %s  in parallel:\n", label)
			label = " "
		}
		for _, m := range stage.Modules {
			tasks := ""
			if m.Parallel {
				tasks = " (tasks in parallel)"
			}
			fmt.Fprintf(&b, "  %s  module %s%s\n", label, m.Name, tasks)
			for _, t := range m.Tasks {
				writeTaskText(&b, t)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTaskText(b *strings.Builder, t PlanTask) {
	on := "no hosts"
	if len(t.Hosts) > 0 {
		on = "on " + strings.Join(t.Hosts, ", ")
	}
	if t.Parallel < len(t.Hosts) {
		on += fmt.Sprintf(" (%d at a time)", t.Parallel)
	}
	fmt.Fprintf(b, "       task %s  %s\n", t.Name, on)
	for _, s := range t.Steps {
		fmt.Fprintf(b, "         - %s\n", s)
	}
}

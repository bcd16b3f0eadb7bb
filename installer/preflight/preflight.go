// Package preflight is the first module of the create pipeline, usable on
// its own as `kubexm preflight`: it connects to every host, gathers facts and
// checks that each host can take its roles before anything is changed on it.
package preflight

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/kubexm/kubexm/internal/config"
	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/failure"
	"github.com/kubexm/kubexm/internal/host"
)

// The roles a host can have, as the config and the inventory name them.
const (
	RoleEtcd         = config.RoleEtcd
	RoleControlPlane = config.RoleControlPlane
	RoleWorker       = config.RoleWorker
	RoleRegistry     = config.RoleRegistry
)

// DefaultMaxClockSkew is how far apart the hosts' clocks may be. etcd's
// peers and the TLS certificates kubeadm issues tolerate far less than a
// minute; two seconds leaves room for the time a sample takes over SSH.
const DefaultMaxClockSkew = 2 * time.Second

// stepTimeout bounds each preflight step on a host.
const stepTimeout = 2 * time.Minute

// Target is a host to check, with what the config says of it.
type Target struct {
	Name  string
	Arch  string // amd64 or arm64, as the config declares it
	Roles []string
}

// Options describe the cluster the checks judge the hosts against.
type Options struct {
	// Targets are the hosts, in config order.
	Targets []Target
	// APIServerPort is the control-plane endpoint's port. The default is 6443.
	APIServerPort int
	// RegistryPort is the private registry's port. The default is 5000.
	RegistryPort int
	// SwapWillBeOff says the pipeline that follows turns swap off itself, so
	// swap found on is a warning instead of a failure.
	SwapWillBeOff bool
	// MaxClockSkew bounds the spread of the hosts' clocks. The default is
	// DefaultMaxClockSkew.
	MaxClockSkew time.Duration
}

// OptionsFromConfig returns the options that judge the hosts of c. The
// caller may still set SwapWillBeOff and MaxClockSkew.
func OptionsFromConfig(c *config.Cluster) Options {
	opts := Options{
		APIServerPort: c.Spec.ControlPlaneEndpoint.Port,
		RegistryPort:  c.Spec.Registry.Port,
	}
	for _, h := range c.Spec.Hosts {
		if roles := c.Roles(h.Name); len(roles) > 0 {
			opts.Targets = append(opts.Targets, Target{Name: h.Name, Arch: h.Arch, Roles: roles})
		}
	}
	return opts
}

// NewModule returns the preflight module and the report its steps fill.
// The module checks every host (one host's failure does not hide the
// others' results), compares the hosts with each other, and fails if any
// check failed.
func NewModule(opts Options) (*engine.Module, *Report) {
	if opts.APIServerPort == 0 {
		opts.APIServerPort = 6443
	}
	if opts.RegistryPort == 0 {
		opts.RegistryPort = 5000
	}
	if opts.MaxClockSkew == 0 {
		opts.MaxClockSkew = DefaultMaxClockSkew
	}

	var names []string
	for _, t := range opts.Targets {
		names = append(names, t.Name)
	}
	rep := newReport(names)
	c := &checker{opts: opts, report: rep}

	// A hung host must not hang preflight: each step has a time limit,
	// sized for slow hosts (a machine under emulation answers in seconds).
	limit := engine.Policy{Timeout: stepTimeout}
	steps := []engine.Step{engine.WithPolicy(engine.StepFunc("gather facts", c.gatherFacts), limit)}
	for _, ch := range c.hostChecks() {
		steps = append(steps, engine.WithPolicy(engine.StepFunc(ch.name, c.run(ch)), limit))
	}
	return engine.NewModule("preflight",
		&engine.Task{
			Name:            "check hosts",
			Hosts:           engine.OnRoles(RoleEtcd, RoleControlPlane, RoleWorker, RoleRegistry),
			Steps:           steps,
			ContinueOnError: true,
		},
		&engine.Task{
			Name:  "compare hosts",
			Hosts: engine.OnControl(),
			Steps: []engine.Step{
				engine.StepFunc("hostnames unique", c.hostnamesUnique),
				engine.StepFunc("clocks agree", c.clocksAgree),
				engine.StepFunc("verdict", c.verdict),
			},
		},
	), rep
}

// checker holds what the preflight steps share.
type checker struct {
	opts   Options
	report *Report
}

// hostCheck is one check of one host against its facts.
type hostCheck struct {
	name string
	fn   func(ctx context.Context, rt *engine.Runtime, t Target, f host.Facts) (Verdict, string)
}

const factsKey = "preflight/facts"

// gatherFacts connects to the host and keeps its facts for the checks. A
// host it cannot reach is recorded, not failed: the other hosts are still
// compared with each other, and the verdict reports it.
func (c *checker) gatherFacts(ctx context.Context, rt *engine.Runtime) error {
	f, err := rt.Host.Facts(ctx)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		verdict := "cannot gather facts: " + err.Error()
		if failure.Is(err, failure.Unreachable) {
			verdict = "unreachable: " + err.Error()
		}
		c.report.add(Result{Host: rt.Host.Name(), Check: "reachable", Verdict: Fail,
			Detail: verdict})
		return nil
	}
	rt.Shared.Set(rt.Host.Name(), factsKey, f)
	c.report.add(Result{Host: rt.Host.Name(), Check: "reachable", Verdict: Pass,
		Detail: fmt.Sprintf("%s %s %s, kernel %s", f.OSID, f.OSVersion, f.Arch, f.Kernel)})
	return nil
}

// run turns a check into a step body: the step records the verdict and
// succeeds, so that every check runs and the verdict step decides.
func (c *checker) run(ch hostCheck) func(context.Context, *engine.Runtime) error {
	return func(ctx context.Context, rt *engine.Runtime) error {
		v, ok := rt.Shared.Get(rt.Host.Name(), factsKey)
		if !ok {
			return nil // unreachable: "reachable" says so, nothing more to check
		}
		t := c.target(rt.Host.Name())
		verdict, detail := ch.fn(ctx, rt, t, v.(host.Facts))
		c.report.add(Result{Host: rt.Host.Name(), Check: ch.name, Verdict: verdict,
			Detail: detail})
		if verdict == Fail {
			rt.Find(detail)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return nil
	}
}

func (c *checker) target(name string) Target {
	i := slices.IndexFunc(c.opts.Targets, func(t Target) bool { return t.Name == name })
	if i < 0 {
		return Target{Name: name}
	}
	return c.opts.Targets[i]
}

// verdict fails the module if any check failed, naming hosts and checks.
// A host that could not be reached makes it an unreachable-host failure.
func (c *checker) verdict(context.Context, *engine.Runtime) error {
	failed := c.report.Failed()
	if len(failed) == 0 {
		return nil
	}
	err := fmt.Errorf("%d check(s) failed: %s", len(failed), summary(failed))
	for _, f := range failed {
		if f.Check == "reachable" {
			return failure.Wrap(failure.Unreachable, err)
		}
	}
	return err
}

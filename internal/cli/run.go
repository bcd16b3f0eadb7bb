package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubexm/kubexm/internal/config"
	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/failure"
	"github.com/kubexm/kubexm/internal/host"
	"github.com/kubexm/kubexm/internal/inventory"
	"github.com/kubexm/kubexm/internal/redact"
	"github.com/kubexm/kubexm/internal/report"
	"github.com/kubexm/kubexm/internal/runlog"
)

// runFlags are the flags of every command that runs a pipeline on hosts.
type runFlags struct {
	file       string
	mode, via  string
	dryRun     bool
	output     string
	resume     bool
	workDir    string
	parallel   int
	knownHosts string
	tofu       bool
	resumable  bool
	// controlOnly runs the pipeline on the control machine alone: the
	// config's hosts are not part of its inventory.
	controlOnly bool
	// outputFlag is the name of the flag that sets output, for messages.
	outputFlag string
}

// register adds the flags to cmd; resumable says whether the command's
// pipeline keeps a resume record and offers --resume.
func (f *runFlags) register(cmd *cobra.Command, resumable bool) {
	f.resumable, f.outputFlag = resumable, "output"
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "cluster config file (required)")
	fl.StringVar(&f.mode, "mode", "online", "online (artifacts from upstream or mirrors) "+
		"or offline (from the bundle)")
	fl.StringVar(&f.via, "via", "", "direct (work on this machine) or indirect (on the "+
		"hosts); default: direct online, indirect offline")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the plan (modules, tasks, steps, hosts) "+
		"and touch no host")
	fl.StringVarP(&f.output, "output", "o", "text", "text, or json for JSON lines")
	if resumable {
		fl.BoolVar(&f.resume, "resume", false, "skip the steps an earlier run of the same "+
			"config completed")
	}
	fl.StringVar(&f.workDir, "workdir", ".kubexm", "working directory for logs and the "+
		"resume record")
	fl.IntVar(&f.parallel, "parallel", 0, "at most this many hosts at once per task "+
		"(default: all)")
	fl.StringVar(&f.knownHosts, "known-hosts", "", "known_hosts file for hosts without a "+
		"pinned fingerprint (default ~/.ssh/known_hosts)")
	fl.BoolVar(&f.tofu, "trust-on-first-use", false, "accept and record host keys not seen "+
		"before (a changed key is still refused)")
	_ = cmd.MarkFlagRequired("file")
}

// parse checks the flags that do not need the config.
func (f *runFlags) parse() (engine.Mode, report.Format, error) {
	mode, err := engine.ParseMode(f.mode, f.via)
	if err != nil {
		return 0, "", failure.Wrap(failure.Usage, err)
	}
	format, err := report.ParseFormat(f.output)
	if err != nil {
		return 0, "", usageError("--%s %q: want text or json", f.outputFlag, f.output)
	}
	if f.parallel < 0 {
		return 0, "", usageError("--parallel %d: want 0 (all hosts) or more", f.parallel)
	}
	return mode, format, nil
}

// execute plans or runs p against the hosts of c. done, if set, runs after
// the pipeline whether it failed or not, to print what the command reports;
// it is given the run's error.
func (f *runFlags) execute(cmd *cobra.Command, p *engine.Pipeline, c *config.Cluster,
	format report.Format, done func(w io.Writer, runErr error) error) error {

	p.LimitParallel(f.parallel)
	invOpts := inventory.Options{KnownHostsPath: f.knownHosts, TrustOnFirstUse: f.tofu}
	if f.dryRun {
		return f.plan(cmd.OutOrStdout(), p, c, invOpts, format)
	}

	// 1. The run log, first, so the hosts record every command into it.
	start := time.Now()
	log, err := runlog.Open(filepath.Join(f.workDir, "logs"), start, c.Secrets())
	if err != nil {
		return failure.Wrap(failure.Internal, err)
	}
	defer log.Close()
	invOpts.HostOptions = []host.Option{host.WithRecorder(log.Command),
		host.WithSecrets(c.Secrets()...)}
	red := redact.New(c.Secrets())

	// 2. The hosts, the resume record and the reporters.
	inv, err := f.inventory(c, invOpts)
	if err != nil {
		return err
	}
	defer inv.Close()
	state, err := f.openState(cmd.ErrOrStderr(), p, c)
	if err != nil {
		return err
	}
	status := report.New(format, statusWriter(cmd, format))

	// 3. The run, then what the command reports, then the summary.
	sum, runErr := p.Run(cmd.Context(), engine.RunOptions{
		Inventory: inv, State: state, Reporter: redacting(red, engine.Reporters(status, log)),
	})
	status.Close()
	return f.finish(cmd, format, log, sum, redactError(red, runErr), done, red)
}

func (f *runFlags) plan(w io.Writer, p *engine.Pipeline, c *config.Cluster,
	opts inventory.Options, format report.Format) error {

	inv, err := f.inventory(c, opts)
	if err != nil {
		return err
	}
	defer inv.Close()
	plan, err := p.Plan(inv)
	if err != nil {
		return failure.Wrap(failure.Internal, err)
	}
	if format == report.JSON {
		return plan.WriteJSON(w)
	}
	return plan.WriteText(w)
}

func (f *runFlags) inventory(c *config.Cluster, opts inventory.Options) (*inventory.Inventory, error) {
	if f.controlOnly {
		return inventory.ControlOnly(opts), nil
	}
	return inventory.New(c, opts)
}

// openState opens the pipeline's resume record, or returns nil for a
// pipeline that keeps none.
func (f *runFlags) openState(w io.Writer, p *engine.Pipeline, c *config.Cluster) (*engine.State, error) {
	if !f.resumable {
		return nil, nil
	}
	path := filepath.Join(f.workDir, "state", p.Name+".json")
	state, stale, err := engine.OpenState(path, p.Name, c.Hash()+"/"+p.Mode.String(), f.resume)
	if err != nil {
		return nil, failure.Wrap(failure.Internal, err)
	}
	if stale {
		fmt.Fprintf(w, "the config or mode changed since the recorded run: --resume "+
			"starts from the beginning\n")
	}
	return state, nil
}

// finish prints what the command reports and the summary of the run.
func (f *runFlags) finish(cmd *cobra.Command, format report.Format, log *runlog.Log,
	sum *engine.Summary, runErr error, done func(io.Writer, error) error,
	red redact.Redactor) error {

	out := cmd.OutOrStdout()
	if done != nil {
		if err := done(out, runErr); err != nil && runErr == nil {
			runErr = err
		}
	}
	if format == report.JSON {
		if sum != nil {
			for i := range sum.Outcomes {
				sum.Outcomes[i].Error = red.String(sum.Outcomes[i].Error)
			}
		}
		_ = json.NewEncoder(out).Encode(map[string]any{"kind": "summary", "summary": sum,
			"log": log.Path(), "exitCode": failure.ExitCode(runErr)})
	} else if runErr != nil && sum != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "\nwhat ran:")
		_ = sum.WriteText(cmd.ErrOrStderr())
	}
	if runErr != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "\nthe log of every command is in %s\n", log.Path())
	}
	return runErr
}

// redacting blanks the config's secrets out of the texts of events before
// any reporter sees them: a step's error may quote a command or a URL.
func redacting(red redact.Redactor, r engine.Reporter) engine.Reporter {
	return engine.ReporterFunc(func(e engine.Event) {
		e.Err, e.Reason, e.Message = red.String(e.Err), red.String(e.Reason), red.String(e.Message)
		r.Report(e)
	})
}

// redactedError is an error whose message has the config's secrets blanked;
// it unwraps to the original, so its failure category is kept.
type redactedError struct {
	err error
	red redact.Redactor
}

func (e *redactedError) Error() string { return e.red.String(e.err.Error()) }
func (e *redactedError) Unwrap() error { return e.err }

func redactError(red redact.Redactor, err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{err: err, red: red}
}

// statusWriter is where the live status goes: stderr for people, so that
// stdout keeps what the command reports; stdout for JSON lines.
func statusWriter(cmd *cobra.Command, format report.Format) io.Writer {
	if format == report.JSON {
		return cmd.OutOrStdout()
	}
	return cmd.ErrOrStderr()
}

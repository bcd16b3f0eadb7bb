package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/kubexm/kubexm/internal/config"
	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/report"
)

// ControlFlags are the flags of a command whose pipeline runs on this
// machine alone, as make-tar's does: the config file, the work tree,
// --dry-run and the format of the status. Commands of other programs
// (kubexm-builder) build on it, so that every pipeline is run, logged,
// redacted and summed up the same way.
type ControlFlags struct{ f runFlags }

// Register adds -f, --workdir (default workDir), --dry-run and
// --output-format to cmd; dryRunHelp says what --dry-run leaves undone.
func (c *ControlFlags) Register(cmd *cobra.Command, workDir, workDirHelp, dryRunHelp string) {
	f := &c.f
	f.controlOnly, f.mode, f.outputFlag = true, "online", "output-format"
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "cluster config file (required)")
	fl.StringVar(&f.workDir, "workdir", workDir, workDirHelp)
	fl.BoolVar(&f.dryRun, "dry-run", false, dryRunHelp)
	fl.StringVar(&f.output, "output-format", "text", "text, or json for JSON lines")
	_ = cmd.MarkFlagRequired("file")
}

// Parse checks the flags and returns the status format.
func (c *ControlFlags) Parse() (report.Format, error) {
	_, format, err := c.f.parse()
	return format, err
}

// File is the config file, WorkDir the work tree; DryRun says whether
// only the plan is printed.
func (c *ControlFlags) File() string    { return c.f.file }
func (c *ControlFlags) WorkDir() string { return c.f.workDir }
func (c *ControlFlags) DryRun() bool    { return c.f.dryRun }

// Execute plans or runs p for the config cfg, as every kubexm command
// does; done, if set, prints what the command reports after the run.
func (c *ControlFlags) Execute(cmd *cobra.Command, p *engine.Pipeline, cfg *config.Cluster,
	format report.Format, done func(w io.Writer, runErr error) error) error {
	return c.f.execute(cmd, p, cfg, format, done)
}

// UsageError is an illegal command line found by a command itself: exit
// code 2.
func UsageError(format string, args ...any) error { return usageError(format, args...) }

// NewVersion is the version command of program.
func NewVersion(program string) *cobra.Command { return newVersion(program) }

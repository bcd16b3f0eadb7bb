package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubexm/kubexm/installer/preflight"
	"github.com/kubexm/kubexm/internal/config"
	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/failure"
	"github.com/kubexm/kubexm/internal/report"
	"github.com/kubexm/kubexm/internal/version"
)

// NewKubexm returns the kubexm command: what runs at the site.
func NewKubexm() *cobra.Command {
	root := &cobra.Command{
		Use:   "kubexm",
		Short: "Install Kubernetes on hosts over SSH, online or from an air-gapped bundle",
		Long: "kubexm installs Kubernetes clusters over SSH. Online, artifacts come from " +
			"upstream or the mirrors the config names; offline, from a bundle made by " +
			"kubexm-builder make-tar.",
	}
	root.AddCommand(newPreflight(), newConfig(), newVersion("kubexm"))
	return root
}

func newPreflight() *cobra.Command {
	var f runFlags
	var swapOff bool
	var skew time.Duration
	cmd := &cobra.Command{
		Use:   "preflight -f config.yaml",
		Short: "Check that every host can take its roles, and change nothing",
		Long: "preflight connects to every host of the config in parallel, gathers its facts " +
			"and checks OS and arch, CPUs and memory for its roles, swap, the ports its roles " +
			"need, unique hostnames, clocks and sudo. It prints a table per host and exits " +
			"non-zero if a check fails.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			mode, format, err := f.parse()
			if err != nil {
				return err
			}
			c, err := config.Load(f.file)
			if err != nil {
				return err
			}
			opts := preflight.OptionsFromConfig(c)
			opts.SwapWillBeOff, opts.MaxClockSkew = swapOff, skew
			mod, rep := preflight.NewModule(opts)
			p := engine.New("preflight", mode).Then(mod)
			return f.execute(cmd, p, c, format, func(w io.Writer, _ error) error {
				return writePreflight(w, format, rep)
			})
		},
	}
	f.register(cmd, false) // checks must be fresh: nothing to resume
	cmd.Flags().BoolVar(&swapOff, "swap-will-be-off", false, "treat swap found on as a "+
		"warning: the install that follows turns it off")
	cmd.Flags().DurationVar(&skew, "max-clock-skew", preflight.DefaultMaxClockSkew,
		"how far apart the hosts' clocks may be")
	return cmd
}

func writePreflight(w io.Writer, format report.Format, rep *preflight.Report) error {
	if format == report.JSON {
		return json.NewEncoder(w).Encode(map[string]any{"kind": "preflight",
			"results": rep.Results()})
	}
	return rep.WriteTable(w)
}

func newConfig() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Write, check and describe cluster configs",
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "example",
			Short: "Print a commented, valid cluster config to start from",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				_, err := cmd.OutOrStdout().Write(config.Example())
				return err
			},
		},
		newConfigValidate(),
		&cobra.Command{
			Use:   "schema",
			Short: "Print the JSON Schema of the cluster config, for editors",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				schema, err := config.Schema()
				if err != nil {
					return failure.Wrap(failure.Internal, err)
				}
				_, err = cmd.OutOrStdout().Write(schema)
				return err
			},
		},
	)
	return cmd
}

func newConfigValidate() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "validate -f config.yaml",
		Short: "Check a cluster config and list every problem in it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := config.Load(file); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid\n", file)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "cluster config file (required)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func newVersion(program string) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version of this build",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), version.String(program))
		},
	}
}

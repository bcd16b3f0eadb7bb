package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/config"
	"github.com/kubexm/kubexm/internal/failure"
)

// NewBuilder returns the kubexm-builder command: what runs on a connected
// machine to make the bundle.
func NewBuilder() *cobra.Command {
	root := &cobra.Command{
		Use:   "kubexm-builder",
		Short: "Collect everything a cluster needs into one bundle for an air-gapped site",
	}
	root.AddCommand(newMakeTar(), newVerify(), newVersion("kubexm-builder"))
	return root
}

func newMakeTar() *cobra.Command {
	var file, format, out string
	cmd := &cobra.Command{
		Use:   "make-tar -f config.yaml [--format tar|iso] [-o FILE]",
		Short: "Collect images, charts, binaries and OS packages into kubexm.tar.gz or a bootable ISO",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "tar" && format != "iso" {
				return usageError("--format %q: want tar or iso", format)
			}
			if _, err := config.Load(file); err != nil {
				return err
			}
			// TODO: the artifact collection pipeline (images, charts,
			// binaries, OS packages, packaging) is not part of this build.
			return failure.Wrap(failure.Internal,
				errors.New("make-tar: artifact collection is not available in this build yet"))
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&file, "file", "f", "", "cluster config file (required)")
	fl.StringVar(&format, "format", "tar", "tar (kubexm.tar.gz) or iso (a bootable image)")
	fl.StringVarP(&out, "output", "o", "", "output file (default kubexm.tar.gz or kubexm.iso)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func newVerify() *cobra.Command {
	return &cobra.Command{
		Use:   "verify kubexm.tar.gz",
		Short: "Check every file of a bundle against its manifest",
		Long: "verify reads the bundle and checks each file's size and SHA-256 against " +
			"manifest.json; it names every missing, extra or corrupt file and exits non-zero " +
			"if there is one.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := bundle.Verify(cmd.Context(), args[0])
			if err != nil {
				return failure.Wrap(failure.StepFailed, err)
			}
			var size int64
			for _, f := range m.Files {
				size += f.Size
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d files, %d bytes, all match the manifest\n",
				args[0], len(m.Files), size)
			return nil
		},
	}
}

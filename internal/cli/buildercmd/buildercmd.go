// Package buildercmd is the command line of kubexm-builder, the program of
// the connected machine: make-tar and verify. It lives apart from package
// cli, which holds kubexm's own commands, so that kubexm (and the
// installer on the ISO, which runs it) does not link the builder, its
// image, chart and ISO libraries.
package buildercmd

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/kubexm/kubexm/builder"
	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/cli"
	"github.com/kubexm/kubexm/internal/config"
	"github.com/kubexm/kubexm/internal/failure"
	"github.com/kubexm/kubexm/internal/fetch"
	"github.com/kubexm/kubexm/internal/report"
	"github.com/kubexm/kubexm/profiles"
)

// NewBuilder returns the kubexm-builder command: what runs on a connected
// machine to make the bundle.
func NewBuilder() *cobra.Command {
	root := &cobra.Command{
		Use:   "kubexm-builder",
		Short: "Collect everything a cluster needs into one bundle for an air-gapped site",
	}
	root.AddCommand(newMakeTar(), newVerify(), cli.NewVersion("kubexm-builder"))
	return root
}

func newMakeTar() *cobra.Command {
	var (
		f                     cli.ControlFlags
		format, out, compress string
		allowUnverified       bool
		embedKey              string
	)
	cmd := &cobra.Command{
		Use:   "make-tar -f config.yaml [--format tar|iso] [-o FILE]",
		Short: "Collect images, charts, binaries and OS packages into kubexm.tar.gz or a bootable ISO",
		Long: "make-tar collects what the cluster of the config needs into the .kubexm tree " +
			"(--workdir), every download checked against its published checksum and kept in " +
			"a cache ($KUBEXM_CACHE) so a second run downloads nothing, then packs the tree " +
			"into one bundle with a manifest of every file. SOURCE_DATE_EPOCH fixes the " +
			"times in the bundle.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, statusFormat, err := makeTarOptions(&f, format, out, compress, allowUnverified)
			if err != nil {
				return err
			}
			if err := isoOptions(cmd, &opts, format, embedKey); err != nil {
				return err
			}
			p, err := builder.NewPipeline(opts)
			if err != nil {
				return failure.Wrap(failure.Config, err)
			}
			return f.Execute(cmd, p, opts.Cluster, statusFormat,
				func(w io.Writer, runErr error) error {
					if !f.DryRun() && runErr == nil && statusFormat == report.Text {
						fmt.Fprintf(w, "wrote %s\n", opts.Output)
					}
					return nil
				})
		},
	}
	f.Register(cmd, bundle.Dir, "the tree artifacts are collected into",
		"print the plan and download nothing")
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "tar", "tar (kubexm.tar.gz) or iso (a bootable image)")
	fl.StringVarP(&out, "output", "o", "", "output file (default kubexm.tar.gz or kubexm.iso)")
	fl.StringVar(&compress, "compression", "gzip", "gzip or zstd")
	fl.BoolVar(&allowUnverified, "allow-unverified", false, "take files whose version "+
		"publishes no checksum")
	fl.StringVar(&embedKey, "embed-ssh-key", "", "with --format iso: write this private key "+
		"into the image for the installer to log in to the hosts with (anyone holding the "+
		"medium then holds the key)")
	return cmd
}

// makeTarOptions checks make-tar's flags and loads what the run needs.
func makeTarOptions(f *cli.ControlFlags, format, out, compress string, allowUnverified bool) (
	builder.Options, report.Format, error) {

	statusFormat, err := f.Parse()
	if err != nil {
		return builder.Options{}, "", err
	}
	switch {
	case format != "tar" && format != "iso":
		return builder.Options{}, "", cli.UsageError("--format %q: want tar or iso", format)
	case compress != string(bundle.Gzip) && compress != string(bundle.Zstd):
		return builder.Options{}, "", cli.UsageError("--compression %q: want gzip or zstd", compress)
	}
	if out == "" {
		out = map[string]string{"gzip": "kubexm.tar.gz", "zstd": "kubexm.tar.zst"}[compress]
		if format == "iso" {
			out = "kubexm.iso"
		}
	}

	c, err := config.Load(f.File())
	if err != nil {
		return builder.Options{}, "", err
	}
	prof, err := profiles.Default()
	if err != nil {
		return builder.Options{}, "", failure.Wrap(failure.Internal, err)
	}
	cacheDir, err := fetch.DefaultCacheDir()
	if err != nil {
		return builder.Options{}, "", failure.Wrap(failure.Usage, err)
	}
	mtime, err := bundle.SourceDateEpoch(time.Now())
	if err != nil {
		return builder.Options{}, "", failure.Wrap(failure.Usage, err)
	}
	return builder.Options{Cluster: c, Profile: prof, Root: f.WorkDir(), Output: out,
			Compression: bundle.Compression(compress), ModTime: mtime,
			AllowUnverified: allowUnverified, CacheDir: cacheDir, ConfigFile: f.File()},
		statusFormat, nil
}

// isoOptions fills in what --format iso needs: the config file as the
// installer reads it on the medium, and the key to embed, if any, which it
// warns about: whoever holds the medium holds the key.
func isoOptions(cmd *cobra.Command, opts *builder.Options, format, embedKey string) error {
	if format != "iso" {
		if embedKey != "" {
			return cli.UsageError("--embed-ssh-key: only an ISO carries a key; add --format iso")
		}
		return nil
	}
	opts.Format = builder.FormatISO
	if !slices.Contains(opts.Cluster.Spec.Artifacts.Arches, "amd64") {
		return failure.Wrap(failure.Config, fmt.Errorf("--format iso: the image boots amd64 "+
			"seed nodes, and spec.artifacts.arches (%s) lacks amd64",
			strings.Join(opts.Cluster.Spec.Artifacts.Arches, ", ")))
	}
	if n := hostsWithPassword(opts.Cluster); n > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: the image carries the config as it is, "+
			"with the passwords of %d host(s): keep the medium as you keep them\n", n)
	}
	if embedKey != "" {
		key, err := os.ReadFile(embedKey)
		if err != nil {
			return cli.UsageError("--embed-ssh-key: %v", err)
		}
		// The installer logs in unattended: a key with a passphrase, or a
		// file that is no key, would fail only at the site.
		if _, err := ssh.ParsePrivateKey(key); err != nil {
			return cli.UsageError("--embed-ssh-key %s: not an unencrypted private key: %v",
				embedKey, err)
		}
		opts.EmbedSSHKey = embedKey
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: --embed-ssh-key writes %s into the image: "+
			"whoever holds the medium can log in to the hosts\n", embedKey)
	}
	return nil
}

// hostsWithPassword counts the config's hosts that log in with a password,
// which the image then carries.
func hostsWithPassword(c *config.Cluster) int {
	n := 0
	for _, h := range c.Spec.Hosts {
		if h.Password != "" {
			n++
		}
	}
	return n
}

func newVerify() *cobra.Command {
	return &cobra.Command{
		Use:   "verify kubexm.tar.gz|kubexm.iso",
		Short: "Check every file of a bundle against its manifest",
		Long: "verify reads the bundle (a tarball, or the .kubexm tree of a bootable .iso) " +
			"and checks each file's size and SHA-256 against manifest.json; it names every " +
			"missing, extra or corrupt file and exits non-zero if there is one.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			verify := bundle.Verify
			if strings.HasSuffix(args[0], ".iso") {
				verify = builder.VerifyISO
			}
			m, err := verify(cmd.Context(), args[0])
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

// Command demo builds a bundle for the example config against the local upstream mirror
// (qemu-tests/upstream), as a user would against upstream, and verifies it:
//
//	go run ./qemu-tests/demo -builder bin/kubexm-builder -dir bin/demo
//
// It needs the mirror's build cache to be warm: building it from source takes over an hour
// on two cores, which a demo must not start behind the user's back. A cold cache stops the
// demo at once with the command that warms it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/kubexm/kubexm/internal/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	builderBin := flag.String("builder", "bin/kubexm-builder", "the kubexm-builder program to run")
	dir := flag.String("dir", "bin/demo", "folder for the config, the .kubexm tree and the bundle")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// 1. The mirror, from a warm cache only; it stops when the demo ends, however it ends.
	m, err := startMirror(ctx)
	if err != nil {
		return err
	}
	defer m.Close()

	// 2. The example config, cut down to what the mirror serves and pointed at it.
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("creating the demo folder: %w", err)
	}
	cfg, err := mirrorConfig(config.Example(), m.SourcesYAML())
	if err != nil {
		return err
	}
	cfgFile := filepath.Join(*dir, "cluster.yaml")
	if err := writeFile(cfgFile, cfg); err != nil {
		return err
	}
	fmt.Printf("==> config for the mirror: %s\n", cfgFile)

	// 3. make-tar, then verify, as a user runs them.
	work, out := filepath.Join(*dir, ".kubexm"), filepath.Join(*dir, "kubexm.tar.gz")
	if err := os.RemoveAll(work); err != nil {
		return fmt.Errorf("clearing the previous demo tree %s: %w", work, err)
	}
	if err := runStep(ctx, *builderBin, "make-tar", "-f", cfgFile, "-o", out,
		"--workdir", work); err != nil {
		return err
	}
	if err := runStep(ctx, *builderBin, "verify", out); err != nil {
		return err
	}

	fi, err := os.Stat(out)
	if err != nil {
		return fmt.Errorf("reading the bundle: %w", err)
	}
	abs, _ := filepath.Abs(out)
	fmt.Printf("==> bundle: %s (%s, %d bytes), verified\n", abs, humanSize(fi.Size()), fi.Size())
	return nil
}

// runStep runs one kubexm-builder command with its output on the terminal.
func runStep(ctx context.Context, program string, args ...string) error {
	fmt.Printf("==> %s %v\n", filepath.Base(program), args)
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var notFound *exec.Error
		if errors.As(err, &notFound) {
			return fmt.Errorf("running %s: %w (run make build first)", program, err)
		}
		return fmt.Errorf("kubexm-builder %s: %w", args[0], err)
	}
	return nil
}

// writeFile writes data under a temporary name and renames it, so that a config file is
// never left half written.
func writeFile(name string, data []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

func humanSize(n int64) string {
	const mib = 1 << 20
	if n >= mib {
		return fmt.Sprintf("%.1f MiB", float64(n)/mib)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

package installer

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/kubexm/kubexm/internal/config"
	"github.com/kubexm/kubexm/internal/version"
)

// Shells are the interactive shells of the initramfs, in the order the
// installer offers them after a failure.
var Shells = []string{"/bbin/gosh", "/bbin/elvish", "/bbin/sh", "/bin/sh"}

// Main is the kubexm-installer program: it runs the installer when started
// by the initramfs's init, and refuses anywhere else, unless --dry-run.
// It returns the exit code; after a failure in the initramfs it does not
// return but replaces itself with a shell.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kubexm-installer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "say what the installer would do, and change nothing")
	medium := fs.String("medium", "", "with --dry-run: a directory to read as the boot medium")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts := DefaultOptions(version.Version)

	if *dryRun {
		if err := DryRun(stdout, opts, *medium); err != nil {
			fmt.Fprintf(stderr, "kubexm-installer: %v\n", err)
			return 1
		}
		return 0
	}
	if *medium != "" {
		fmt.Fprintln(stderr, "kubexm-installer: --medium is only for --dry-run")
		return 2
	}
	if err := CheckInitramfs(os.Getppid(), opts.Paths.Cmdline); err != nil {
		fmt.Fprintf(stderr, "kubexm-installer: %v\n", err)
		return 1
	}

	err := Run(context.Background(), stdout, NewSystem(os.Stdin), opts)
	if err == nil {
		return 0
	}
	// The shell's notice goes where the failure line went, after it: on a
	// serial console two streams need not keep their order.
	fmt.Fprintln(stdout, FailureLine(err, opts.Paths.Log()))
	return openShell(stdout)
}

// CheckInitramfs refuses to run outside the kubexm initramfs: the
// installer loads modules, mounts and changes the network, which on an
// operator's machine would do harm. There, init (pid 1) starts it, and the
// kubexm ISO's boot entry puts kubexm.label on the kernel command line.
func CheckInitramfs(ppid int, cmdlinePath string) error {
	const hint = "it runs on a seed node booted from the kubexm ISO; " +
		"use --dry-run to see what it would do"
	if ppid != 1 {
		return fmt.Errorf("not started by init (parent pid %d): %s", ppid, hint)
	}
	line, err := os.ReadFile(cmdlinePath)
	if err != nil {
		return fmt.Errorf("reading the kernel command line: %w", err)
	}
	if !ParseCmdline(string(line)).HasLabel {
		return fmt.Errorf("no kubexm.label on the kernel command line %s: %s", cmdlinePath, hint)
	}
	return nil
}

// openShell replaces the installer with the first shell of Shells, so the
// operator can look around; it returns only if there is none.
func openShell(w io.Writer) int {
	for _, sh := range Shells {
		if _, err := os.Stat(sh); err != nil {
			continue
		}
		fmt.Fprintf(w, "starting %s; the log is %s\n", sh, DefaultPaths().Log())
		err := syscall.Exec(sh, []string{sh}, os.Environ())
		fmt.Fprintf(w, "kubexm-installer: starting %s: %v\n", sh, err)
	}
	fmt.Fprintf(w, "kubexm-installer: no shell among %v\n", Shells)
	return 1
}

// DryRun writes what Run would do with opts, and changes nothing. With
// medium, a directory holding what the boot medium would, it also reads
// the config there and shows the banner, the network commands and where
// the credentials would come from.
func DryRun(w io.Writer, opts Options, medium string) error {
	p := opts.Paths
	fmt.Fprintln(w, "kubexm-installer --dry-run: nothing on this machine is changed")
	fmt.Fprintf(w, "1. load the kernel modules listed in %s\n", p.Modules)
	fmt.Fprintf(w, "2. find the medium labelled %s (or kubexm.label=) among %s*\n",
		BootLabel, filepath.Join(p.Dev, "{sr,sd,vd,nvme}"))
	fmt.Fprintf(w, "3. mount it read-only at %s\n", p.Medium())
	fmt.Fprintf(w, "4. read %s from it\n", ConfigName)
	fmt.Fprintln(w, "5. bring up the network from spec.seed, 6. print the banner")
	fmt.Fprintf(w, "7. SSH keys from %s on the medium, else a %s medium, else a password; "+
		"write %s\n", EmbeddedKeyPath, KeysLabel, p.DerivedConfig())
	for _, args := range deployCommands(p, false) {
		fmt.Fprintf(w, "8. kubexm %v\n", args)
	}
	fmt.Fprintf(w, "9. print %q, or %q and open a shell\n", SuccessLine, FailurePrefix+"...")
	if medium == "" {
		return nil
	}
	return dryRunMedium(w, medium, p)
}

// dryRunMedium shows what the installer would make of the medium in dir.
func dryRunMedium(w io.Writer, dir string, p Paths) error {
	c, err := config.Load(filepath.Join(dir, ConfigName))
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	iface := c.Spec.Seed.Interface
	if iface == "" {
		iface = "<first interface with a link>"
	}
	seed := SeedAddress{Interface: iface, DHCP: c.Spec.Seed.DHCP()}
	if !seed.DHCP {
		seed.Addresses = []string{c.Spec.Seed.Address}
	}
	if err := WriteBanner(w, version.Version, c, seed, p.Log()); err != nil {
		return err
	}
	for _, cmd := range (Network{Interface: iface, Seed: c.Spec.Seed}).Commands() {
		fmt.Fprintf(w, "  network: %v\n", cmd)
	}

	keys := FindKeys(c, EmbeddedKey(dir), "")
	for _, h := range c.Spec.Hosts {
		switch key, ok := keys[h.Name]; {
		case ok:
			fmt.Fprintf(w, "  %s: key %s\n", h.Name, key)
		case NeedsKey(h):
			fmt.Fprintf(w, "  %s: a key from a %s medium, or a password\n", h.Name, KeysLabel)
		default:
			fmt.Fprintf(w, "  %s: the password in the config\n", h.Name)
		}
	}
	return nil
}

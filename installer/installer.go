package installer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kubexm/kubexm/internal/atomicfile"
	"github.com/kubexm/kubexm/internal/config"
)

// System is what the installer does to the machine it runs on. The real
// one (NewSystem) makes the system calls; tests replace the parts that
// would change the test machine itself.
type System interface {
	// LoadModule loads a kernel module file, as finit_module(2) does.
	LoadModule(path string) error
	// Mount mounts the filesystem fstype of device at dir, read-only.
	Mount(device, dir, fstype string) error
	// Run runs a program (ip, dhclient) to completion.
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
	// Addresses lists the addresses of a network interface, in CIDR form.
	Addresses(iface string) []string
	// ReadPassword asks for a password on the console without echoing it.
	ReadPassword(prompt string) (string, error)
}

// Options configure a run of the installer.
type Options struct {
	// Paths are where the installer reads and writes; DefaultPaths in the
	// initramfs.
	Paths Paths
	// ResolvConf is the resolver file written for spec.seed.dns.
	ResolvConf string
	// Version is the installer's version, shown in the banner.
	Version string
	// MediumWait is how long to look for the boot medium, KeysWait for a
	// KUBEXM-KEYS medium.
	MediumWait, KeysWait time.Duration
	// CarrierWait is how long to wait for a network link.
	CarrierWait time.Duration
	// Poll is the pause between looks for a medium.
	Poll time.Duration
}

// DefaultOptions are those of the initramfs.
func DefaultOptions(version string) Options {
	return Options{
		Paths:       DefaultPaths(),
		ResolvConf:  "/etc/resolv.conf",
		Version:     version,
		MediumWait:  2 * time.Minute, // a USB stick behind a hub enumerates in ~10 s
		KeysWait:    10 * time.Second,
		CarrierWait: CarrierWait,
		Poll:        time.Second,
	}
}

// run is the state of one run of the installer.
type run struct {
	opts Options
	sys  System
	con  *console

	cluster *config.Cluster
	seed    SeedAddress
	failed  []ModuleFailure
}

// Run installs from the boot medium: the nine steps of the package
// documentation, each reported on out and in the log. It returns the
// first step's error; the caller prints FailureLine and opens a shell.
func Run(ctx context.Context, out io.Writer, sys System, opts Options) error {
	con, err := openConsole(out, opts.Paths.Log())
	if err != nil {
		return err
	}
	defer con.close()
	r := &run{opts: opts, sys: sys, con: con}

	steps := []struct {
		title string
		do    func(context.Context) error
	}{
		{"loading kernel modules", r.loadModules},
		{"finding and mounting the boot medium", r.mountMedium},
		{"reading the cluster config", r.readConfig},
		{"bringing up the network", r.network},
		{"finding SSH credentials", r.credentials},
		{"deploying", r.deploy},
	}
	for i, s := range steps {
		con.printf("[%d/%d] %s", i+1, len(steps), s.title)
		if err := s.do(ctx); err != nil {
			con.logf("step %q failed: %v", s.title, err)
			return fmt.Errorf("%s: %w", s.title, err)
		}
	}
	if len(r.failed) > 0 {
		con.printf("note: %d kernel modules did not load (see above)", len(r.failed))
	}
	con.printf("%s", SuccessLine)
	return nil
}

// loadModules loads the initramfs's modules in order (step 1). Failures
// are reported and kept: the medium may well be found without them.
func (r *run) loadModules(context.Context) error {
	f, err := os.Open(r.opts.Paths.Modules)
	if errors.Is(err, os.ErrNotExist) {
		r.con.printf("      no %s: the kernel has its drivers built in", r.opts.Paths.Modules)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the module list: %w", err)
	}
	defer f.Close()
	mods, err := ParseModules(f, r.opts.Paths.Modules)
	if err != nil {
		return err
	}

	loaded, failed := LoadModules(mods, r.sys.LoadModule, func(s string) {
		r.con.printf("      %s", s)
	})
	r.failed = failed
	r.con.printf("      %d of %d loaded", loaded, len(mods))
	return nil
}

// mountMedium finds the boot medium by label and mounts it read-only
// (steps 2 and 3). The bundle is read from it in place.
func (r *run) mountMedium(ctx context.Context) error {
	p := r.opts.Paths
	line, err := os.ReadFile(p.Cmdline)
	if err != nil {
		return fmt.Errorf("reading the kernel command line: %w", err)
	}
	label := ParseCmdline(string(line)).BootLabel()

	dev, err := r.waitFor(ctx, label, r.opts.MediumWait)
	if err != nil {
		return r.moduleHint(err)
	}
	r.con.printf("      %s on %s", label, dev.Path)
	if err := r.mount(dev, p.Medium()); err != nil {
		return err
	}
	r.con.printf("      mounted read-only at %s", p.Medium())
	return nil
}

// waitFor looks for a medium labelled label for up to wait.
func (r *run) waitFor(ctx context.Context, label string, wait time.Duration) (Device, error) {
	p := r.opts.Paths
	return WaitForVolume(ctx, p.SysBlock, p.Dev, label, Wait{
		Timeout: wait, Interval: r.opts.Poll,
		Progress: func(s string) { r.con.printf("      %s", s) },
	})
}

// mount mounts dev at dir, read-only.
func (r *run) mount(dev Device, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("making the mount point: %w", err)
	}
	if err := r.sys.Mount(dev.Path, dir, dev.FS); err != nil {
		return r.moduleHint(fmt.Errorf("mounting %s (%s) at %s: %w", dev.Path, dev.FS, dir, err))
	}
	return nil
}

// moduleHint adds the modules that failed to load to err: a missing
// medium or filesystem is most often a driver that did not load.
func (r *run) moduleHint(err error) error {
	if len(r.failed) == 0 {
		return err
	}
	var names []string
	for _, f := range r.failed {
		names = append(names, filepath.Base(f.Path))
	}
	return fmt.Errorf("%w (modules that failed to load: %s)", err, strings.Join(names, ", "))
}

// readConfig loads and validates the config on the medium (step 4).
func (r *run) readConfig(context.Context) error {
	c, err := config.Load(filepath.Join(r.opts.Paths.Medium(), ConfigName))
	if err != nil {
		return err
	}
	r.cluster = c
	r.con.hide(c.Secrets()...)
	r.con.printf("      cluster %s, %s", c.Metadata.Name, plural(len(c.Spec.Hosts), "host"))
	return nil
}

// network brings up the seed's interface from spec.seed (step 5) and
// prints the banner (step 6), which needs the address.
func (r *run) network(ctx context.Context) error {
	s := r.cluster.Spec.Seed
	iface, err := PickInterface(ctx, r.opts.Paths.SysNet, s.Interface, r.opts.CarrierWait,
		r.sys.Run)
	if err != nil {
		return err
	}
	n := Network{Interface: iface, Seed: s}
	r.con.logf("network commands: %q", n.Commands())
	if err := n.Up(ctx, r.sys.Run); err != nil {
		return err
	}
	if conf := n.ResolvConf(); conf != nil {
		if err := atomicfile.Write(r.opts.ResolvConf, conf, 0o644); err != nil {
			return fmt.Errorf("spec.seed.dns: %w", err)
		}
	}

	r.seed = SeedAddress{Interface: iface, Addresses: r.sys.Addresses(iface), DHCP: s.DHCP()}
	return WriteBanner(r.con, r.opts.Version, r.cluster, r.seed, r.opts.Paths.Log())
}

// credentials finds the SSH keys or asks for a password, and writes the
// derived config (step 7).
func (r *run) credentials(ctx context.Context) error {
	c, p := r.cluster, r.opts.Paths
	embedded := EmbeddedKey(p.Medium())
	keysDir := ""
	if embedded != "" {
		r.con.printf("      the key embedded in the ISO (%s)", EmbeddedKeyPath)
	} else if needsKeys(c) {
		keysDir = r.mountKeys(ctx)
	}

	creds := Credentials{Keys: FindKeys(c, embedded, keysDir)}
	for _, h := range c.Spec.Hosts {
		if key, ok := creds.Keys[h.Name]; ok {
			r.con.printf("      %s: key %s", h.Name, key)
		}
	}
	if hosts := NeedPassword(c, creds.Keys); len(hosts) > 0 {
		pw, err := r.sys.ReadPassword(fmt.Sprintf("SSH password of %s for %s: ",
			hostUsers(c, hosts), strings.Join(hosts, ", ")))
		if err != nil {
			return fmt.Errorf("no SSH key for %s, and no password: %w",
				strings.Join(hosts, ", "), err)
		}
		if pw == "" {
			return fmt.Errorf("no SSH key for %s, and the password typed is empty",
				strings.Join(hosts, ", "))
		}
		creds.Password = pw
		r.con.hide(pw)
	}

	if err := WriteConfig(p.DerivedConfig(), Derive(c, creds)); err != nil {
		return err
	}
	r.con.printf("      wrote %s", p.DerivedConfig())
	return nil
}

// needsKeys reports whether any host logs in by key.
func needsKeys(c *config.Cluster) bool {
	for _, h := range c.Spec.Hosts {
		if NeedsKey(h) {
			return true
		}
	}
	return false
}

// hostUsers names the SSH users of hosts, for the password prompt.
func hostUsers(c *config.Cluster, hosts []string) string {
	var users []string
	for _, name := range hosts {
		if h, ok := c.Host(name); ok && !slices.Contains(users, h.User) {
			users = append(users, h.User)
		}
	}
	return strings.Join(users, "/")
}

// mountKeys looks for a KUBEXM-KEYS medium for a short while and mounts
// it. It returns its mount point, or "" if there is none: then the hosts
// fall back to passwords.
func (r *run) mountKeys(ctx context.Context) string {
	dev, err := r.waitFor(ctx, KeysLabel, r.opts.KeysWait)
	if err != nil {
		r.con.printf("      no key embedded and %v", err)
		return ""
	}
	if err := r.mount(dev, r.opts.Paths.Keys()); err != nil {
		r.con.printf("      %v", err)
		return ""
	}
	r.con.printf("      keys from %s on %s", KeysLabel, dev.Path)
	return r.opts.Paths.Keys()
}

// deploy runs the kubexm commands against the derived config (step 8).
func (r *run) deploy(ctx context.Context) error {
	cmds := deployCommands(r.opts.Paths, r.cluster.Spec.Seed.TrustOnFirstUse)
	for _, args := range cmds {
		r.con.logf("kubexm %s", strings.Join(args, " "))
	}
	return deploy(ctx, r.con, cmds)
}

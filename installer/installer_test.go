package installer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/config"
	"github.com/kubexm/kubexm/internal/sshtest"
)

// testSystem runs the installer's steps in a test. Reading labels, the
// config, the keys and logging in over SSH are real; what would change
// the test machine itself is replaced, each for a stated reason:
//   - LoadModule records the paths: finit_module would load the modules
//     into this machine's kernel.
//   - Mount copies the image's files out with xorriso or mcopy: the host
//     kernel here cannot mount ISO 9660, and mounting needs privileges a
//     test must not use on its host.
//   - Run records ip and dhclient: they would reconfigure this machine's
//     network.
type testSystem struct {
	t        *testing.T
	modules  []string
	mounts   []string
	net      recorder
	password string
	asked    []string
}

func (s *testSystem) LoadModule(path string) error {
	s.modules = append(s.modules, path)
	if strings.Contains(path, "builtin") {
		return ErrModuleLoaded
	}
	return nil
}

func (s *testSystem) Mount(device, dir, fstype string) error {
	s.mounts = append(s.mounts, fmt.Sprintf("%s %s %s", device, dir, fstype))
	switch fstype {
	case FSISO9660:
		runTool(s.t, "xorriso", "-osirrox", "on", "-indev", device, "-extract", "/", dir)
	case FSVFAT:
		runTool(s.t, "mcopy", "-s", "-n", "-i", device, "::/*", dir)
	default:
		return fmt.Errorf("unknown filesystem type %s", fstype)
	}
	return nil
}

func (s *testSystem) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return s.net.run(ctx, name, args...)
}

func (s *testSystem) Addresses(string) []string { return []string{"10.0.0.5/24"} }

func (s *testSystem) ReadPassword(prompt string) (string, error) {
	s.asked = append(s.asked, prompt)
	if s.password == "" {
		return "", fmt.Errorf("no terminal")
	}
	return s.password, nil
}

// seedMachine is a seed node's files in a temporary directory: the kernel
// command line, a module list, block devices and network interfaces.
type seedMachine struct {
	opts Options
	dir  string
}

// newSeedMachine sets up a seed whose block devices are the given images
// (by device name) and whose eth0 has a link.
func newSeedMachine(t *testing.T, images map[string]string) seedMachine {
	t.Helper()
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sysBlock, dev := fakeBlock(t, images)
	opts := DefaultOptions("v9.9.9-test")
	opts.Paths = Paths{
		Run:      filepath.Join(dir, "run"),
		Modules:  write("modules", "/lib/modules/k/isofs.ko\n/lib/modules/k/builtin_virtio.ko\n"),
		Cmdline:  write("cmdline", "console=ttyS0 kubexm.label=KUBEXM\n"),
		SysBlock: sysBlock,
		SysNet:   fakeNet(t, map[string]string{"lo": "virtual", "eth0": "link"}),
		Dev:      dev,
	}
	opts.ResolvConf = filepath.Join(dir, "resolv.conf")
	opts.MediumWait, opts.KeysWait, opts.Poll = time.Second, time.Second, 50*time.Millisecond
	return seedMachine{opts: opts, dir: dir}
}

// medium writes files (path -> content) into a directory for an image.
func medium(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// seedConfig is a cluster config of hosts (YAML list items), the first the
// control plane, with a static seed address.
func seedConfig(hosts ...string) string {
	var names []string
	for _, h := range hosts {
		names = append(names, strings.Fields(h)[2])
	}
	return "apiVersion: kubexm.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: seedtest\n" +
		"spec:\n  hosts:\n" + strings.Join(hosts, "") +
		fmt.Sprintf("  roleGroups:\n    controlPlane: [%s]\n    worker: [%s]\n", names[0],
			strings.Join(names, ", ")) +
		"  seed:\n    address: 10.0.0.5/24\n    gateway: 10.0.0.1\n    dns: [10.0.0.2]\n"
}

// keyHost is a host that logs in by a key of the control machine, which
// the seed does not have.
func keyHost(name string, s *sshtest.Server) string {
	return fmt.Sprintf("    - name: %s\n      address: %s\n      port: %d\n      user: %s\n"+
		"      privateKeyPath: ~/.ssh/not-on-the-seed\n      hostKeyFingerprint: %q\n",
		name, s.Host, s.Port, s.User, s.HostKeyFingerprint)
}

// TestRunEmbeddedKeyAgainstRealSSHD boots nothing, but runs every step of
// the installer from an ISO image (made by xorriso) holding the config and
// an embedded key, to preflight against a real sshd on loopback.
func TestRunEmbeddedKeyAgainstRealSSHD(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	iso := makeISO(t, medium(t, map[string]string{
		ConfigName:      seedConfig(keyHost("node1", s)),
		EmbeddedKeyPath: readFile(t, s.ClientKeyPath),
	}), BootLabel)
	seed := newSeedMachine(t, map[string]string{"sda": "", "sr0": iso})
	sys := &testSystem{t: t}
	var out strings.Builder

	err := Run(context.Background(), &out, sys, seed.opts)

	p := seed.opts.Paths
	console := out.String()
	// The verdict depends on this machine (its CPUs, memory, ports); the
	// SSH login and the report must not.
	if err != nil && !strings.Contains(err.Error(), "kubexm preflight exited with code 5") {
		t.Fatalf("Run: %v\n%s", err, console)
	}
	if (err == nil) != strings.HasSuffix(console, SuccessLine+"\n") {
		t.Errorf("Run returned %v, yet the console ends:\n%s", err, console)
	}
	for _, want := range []string{
		"kubexm installer: v9.9.9-test, cluster seedtest\n",
		"seed: 10.0.0.5/24 on eth0 (static)", "log:  " + p.Log(),
		"KUBEXM on " + filepath.Join(p.Dev, "sr0"),
		"node1: key " + filepath.Join(p.Medium(), EmbeddedKeyPath),
		"host node1", // preflight's table
	} {
		if !strings.Contains(console, want) {
			t.Errorf("console lacks %q:\n%s", want, console)
		}
	}

	if got := strings.Join(sys.modules, " "); got != "/lib/modules/k/isofs.ko "+
		"/lib/modules/k/builtin_virtio.ko" {
		t.Errorf("modules loaded: %s", got)
	}
	if want := filepath.Join(p.Dev, "sr0") + " " + p.Medium() + " iso9660"; len(sys.mounts) != 1 ||
		sys.mounts[0] != want {
		t.Errorf("mounts %q, want only %q", sys.mounts, want)
	}
	if len(sys.net.cmds) != 4 || sys.net.cmds[3][2] != "add" {
		t.Errorf("network commands %q: want eth0 set up (twice) and the address and route", sys.net.cmds)
	}
	if got := readFile(t, seed.opts.ResolvConf); !strings.Contains(got, "nameserver 10.0.0.2\n") {
		t.Errorf("resolv.conf:\n%s", got)
	}
	if len(sys.asked) != 0 {
		t.Errorf("asked for a password with a key embedded: %q", sys.asked)
	}

	derived, err := config.Load(p.DerivedConfig())
	if err != nil {
		t.Fatalf("the derived config does not load: %v", err)
	}
	if got := derived.Spec.Hosts[0].PrivateKeyPath; got != filepath.Join(p.Medium(), EmbeddedKeyPath) {
		t.Errorf("derived privateKeyPath %q", got)
	}
	logs, _ := filepath.Glob(filepath.Join(p.WorkDir(), "logs", "*.log"))
	if len(logs) != 1 || !strings.Contains(readFile(t, logs[0]), "command host=node1") {
		t.Errorf("no run log of commands on node1 in %s: %v", p.WorkDir(), logs)
	}
	if log := readFile(t, p.Log()); !strings.Contains(log, "[6/6] deploying") ||
		!strings.Contains(log, "host node1") {
		t.Errorf("installer log lacks the steps and preflight's table:\n%s", log)
	}
}

// TestRunKeysMediumAndPassword takes one host's key from a FAT stick
// labelled KUBEXM-KEYS (made by mkfs.vfat and mcopy) and asks for the
// other's password, which must appear nowhere but the derived config.
func TestRunKeysMediumAndPassword(t *testing.T) {
	needTool(t, "mcopy")
	servers := sshtest.StartMany(t, 2, sshtest.Options{TestUser: true})
	pwHost := fmt.Sprintf("    - name: node2\n      address: %s\n      port: %d\n"+
		"      internalAddress: 127.0.0.2\n      user: %s\n"+
		"      privateKeyPath: ~/.ssh/id_ed25519\n      hostKeyFingerprint: %q\n",
		servers[1].Host, servers[1].Port, servers[1].TestUser, servers[1].HostKeyFingerprint)
	iso := makeISO(t, medium(t, map[string]string{
		ConfigName: seedConfig(keyHost("node1", servers[0]), pwHost),
	}), BootLabel)
	keys := makeFAT(t, 2, 12, KeysLabel)
	key := filepath.Join(t.TempDir(), "node1.key")
	if err := os.WriteFile(key, []byte(readFile(t, servers[0].ClientKeyPath)), 0o600); err != nil {
		t.Fatal(err)
	}
	runTool(t, "mcopy", "-i", keys, key, "::/node1.key")

	seed := newSeedMachine(t, map[string]string{"sr0": iso, "sdb": "", "sdb1": keys})
	sys := &testSystem{t: t, password: servers[1].TestPassword}
	var out strings.Builder
	err := Run(context.Background(), &out, sys, seed.opts)

	p := seed.opts.Paths
	// Both hosts are this machine: the unique-hostname check fails.
	if err == nil || !strings.Contains(err.Error(), "kubexm preflight exited with code 5") {
		t.Fatalf("Run: %v, want preflight's verdict\n%s", err, out.String())
	}
	if len(sys.asked) != 1 || !strings.Contains(sys.asked[0], "for node2") {
		t.Errorf("password prompts %q, want one for node2", sys.asked)
	}
	if !strings.Contains(out.String(), "node1: key "+filepath.Join(p.Keys(), "node1.key")) {
		t.Errorf("console does not say node1's key comes from the stick:\n%s", out.String())
	}

	fi, err := os.Stat(p.DerivedConfig())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("derived config: %v, mode %v; want 0600", err, fi.Mode())
	}
	derived := readFile(t, p.DerivedConfig())
	if !strings.Contains(derived, servers[1].TestPassword) {
		t.Errorf("the derived config lacks node2's password")
	}
	logs, _ := filepath.Glob(filepath.Join(p.WorkDir(), "logs", "*.log"))
	if len(logs) != 1 || !strings.Contains(readFile(t, logs[0]), "command host=node2") {
		t.Fatalf("node2 did not log in with the password: run logs %v", logs)
	}
	for name, text := range map[string]string{"console": out.String(),
		"installer log": readFile(t, p.Log()), "run log": readFile(t, logs[0])} {
		if strings.Contains(text, servers[1].TestPassword) {
			t.Errorf("the password appears in the %s", name)
		}
	}
}

func TestRunNoMediumFailsNamingTheLabel(t *testing.T) {
	seed := newSeedMachine(t, map[string]string{"sda": ""})
	if err := os.WriteFile(seed.opts.Paths.Cmdline, []byte("kubexm.label=SITE_B\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err := Run(context.Background(), &out, &testSystem{t: t}, seed.opts)
	want := "finding and mounting the boot medium: no medium labelled SITE_B among 1 block devices"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v, want %s...", err, want)
	}
	if !strings.Contains(readFile(t, seed.opts.Paths.Log()), "looking again") {
		t.Errorf("the log does not show the retries")
	}
}

func TestRunBadConfigNamesTheField(t *testing.T) {
	iso := makeISO(t, medium(t, map[string]string{
		ConfigName: strings.Replace(seedConfig("    - name: node1\n      address: 10.0.0.9\n"+
			"      password: x\n"), "gateway: 10.0.0.1", "gateway: 10.9.0.1", 1),
	}), BootLabel)
	seed := newSeedMachine(t, map[string]string{"sr0": iso})
	var out strings.Builder
	err := Run(context.Background(), &out, &testSystem{t: t}, seed.opts)
	if err == nil || !strings.Contains(err.Error(), "spec.seed.gateway: 10.9.0.1 is not on the "+
		"seed's subnet") {
		t.Fatalf("got %v, want the field at fault", err)
	}
}

func TestCheckInitramfs(t *testing.T) {
	dir := t.TempDir()
	with := filepath.Join(dir, "with")
	without := filepath.Join(dir, "without")
	_ = os.WriteFile(with, []byte("console=ttyS0 kubexm.label=KUBEXM\n"), 0o644)
	_ = os.WriteFile(without, []byte("BOOT_IMAGE=/vmlinuz root=/dev/sda1\n"), 0o644)

	if err := CheckInitramfs(1, with); err != nil {
		t.Errorf("in the initramfs: %v", err)
	}
	for name, tt := range map[string]struct {
		ppid int
		path string
		want string
	}{
		"not from init": {4242, with, "not started by init (parent pid 4242)"},
		"no label":      {1, without, "no kubexm.label on the kernel command line"},
	} {
		err := CheckInitramfs(tt.ppid, tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.want) ||
			!strings.Contains(err.Error(), "--dry-run") {
			t.Errorf("%s: got %v, want %q and a hint", name, err, tt.want)
		}
	}
}

// TestMainOutsideInitramfs runs the program as an operator would on their
// own machine (this test's parent is not init): it must refuse at once.
func TestMainOutsideInitramfs(t *testing.T) {
	if os.Getppid() == 1 {
		t.Skip("this test runs under init; it cannot play an operator's machine")
	}
	var stdout, stderr strings.Builder
	start := time.Now()
	code := Main(nil, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "not started by init") {
		t.Errorf("exit %d, stderr %q; want 1 and the reason", code, stderr.String())
	}
	if time.Since(start) > time.Second || stdout.Len() != 0 {
		t.Errorf("took %s and printed %q before refusing", time.Since(start), stdout.String())
	}
}

func TestDryRunReadsAMediumDirectory(t *testing.T) {
	dir := medium(t, map[string]string{
		ConfigName: seedConfig("    - name: node1\n      address: 10.0.0.9\n" +
			"      privateKeyPath: ~/.ssh/id\n"),
		EmbeddedKeyPath: "not really a key",
	})
	var stdout, stderr strings.Builder
	if code := Main([]string{"--dry-run", "--medium", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"nothing on this machine is changed",
		"kubexm installer: ", ", cluster seedtest", "[/bbin/ip addr add 10.0.0.5/24 dev <first",
		"node1: key " + filepath.Join(dir, EmbeddedKeyPath)} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("dry run lacks %q:\n%s", want, stdout.String())
		}
	}
}

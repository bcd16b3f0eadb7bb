//go:build e2e

package iso

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/cli"
	"github.com/kubexm/kubexm/internal/cli/buildercmd"
	"github.com/kubexm/kubexm/qemu-tests/upstream/mirror"
	"github.com/kubexm/kubexm/qemu-tests/vm"
)

// The installer's fixed console lines (installer/doc.go): the end of the
// banner's first line, "kubexm installer: <version>, cluster <name>", for
// the config's cluster; the last line of a run that passed or failed.
const (
	banner = ", cluster e2e-iso"
	passed = "kubexm installer: preflight passed"
	failed = "kubexm installer: failed: "
)

// config is a two-host cluster on the private network as the seed sees it:
// the hosts at their private addresses, root by key, host keys pinned; the
// seed at seed (empty: by DHCP) on the VM's second NIC (the first is the test bed's
// management NIC). Artifacts come from the mirror, OS packages and the
// boot packages from the Debian mirror of this machine's apt sources.
func config(t *testing.T, m *mirror.Mirror, vms []*vm.VM, pins [2]string, seed string) string {
	t.Helper()
	var sources strings.Builder
	for _, line := range strings.Split(strings.TrimRight(m.SourcesYAML(), "\n"), "\n") {
		sources.WriteString("  " + line + "\n")
	}
	a, b := vms[0].Target(), vms[1].Target()
	addr := func(tgt vm.Target) string { return strings.Split(tgt.Address, "/")[0] }
	yaml := fmt.Sprintf(`apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata:
  name: e2e-iso
spec:
  hosts:
    - name: %s
      address: %s
      user: root
      privateKeyPath: %s
      hostKeyFingerprint: %q
    - name: %s
      address: %s
      user: root
      privateKeyPath: %s
      hostKeyFingerprint: %q
  roleGroups:
    etcd: [%s]
    controlPlane: [%s]
    worker: [%s]
  seed:
    interface: eth1
%s  network:
    plugin: flannel
  dns:
    nodeLocalDNS:
      enabled: false
`, a.Name, addr(a), a.KeyFile, pins[0], b.Name, addr(b), b.KeyFile, pins[1],
		a.Name, a.Name, b.Name, seedAddress(seed)) + sources.String()
	p := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// seedAddress is the seed's address line of the config: none for DHCP.
func seedAddress(addr string) string {
	if addr == "" {
		return ""
	}
	return "    address: " + addr + "\n"
}

// makeISO runs make-tar --format iso with the VMs' key embedded.
func makeISO(t *testing.T, cfg, key, out string) {
	t.Helper()
	root := buildercmd.NewBuilder()
	var buf bytes.Buffer
	root.SetArgs([]string{"make-tar", "-f", cfg, "--format", "iso", "-o", out,
		"--embed-ssh-key", key, "--workdir", filepath.Join(t.TempDir(), bundle.Dir)})
	root.SetOut(&buf)
	root.SetErr(&buf)
	start := time.Now()
	if code := cli.ExecuteContext(context.Background(), root); code != 0 {
		t.Fatalf("make-tar --format iso: exit %d\n%s", code, buf.String())
	}
	st, _ := os.Stat(out)
	t.Logf("make-tar --format iso: %s, %d MiB, in %s", out, st.Size()>>20,
		time.Since(start).Round(time.Second))
}

// checkTree lists the ISO with xorriso and checks that every file of the
// .kubexm tree is there and matches the manifest (xorriso reads the image
// without the host kernel mounting it).
func checkTree(t *testing.T, iso string) {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("xorriso", "-osirrox", "on", "-indev", iso,
		"-extract", "/"+bundle.Dir, filepath.Join(dir, bundle.Dir)).CombinedOutput()
	if err != nil {
		t.Fatalf("xorriso -extract: %v\n%s", err, out)
	}
	root := filepath.Join(dir, bundle.Dir)
	want, err := bundle.VerifyFS(context.Background(), root, os.DirFS(root))
	if err != nil {
		t.Fatalf("the ISO's tree, extracted by xorriso: %v", err)
	}
	find, err := exec.Command("xorriso", "-indev", iso, "-find", "/"+bundle.Dir,
		"-type", "f").Output()
	if err != nil {
		t.Fatalf("xorriso -find: %v", err)
	}
	if n := strings.Count(string(find), "\n"); n != len(want.Files)+1 {
		t.Errorf("xorriso -find lists %d files under /.kubexm, want %d and the manifest",
			n, len(want.Files))
	}
}

func TestISO(t *testing.T) {
	vm.RequireTools(t, "xorriso")
	m := mirror.Start(t)
	t.Setenv("KUBEXM_CACHE", t.TempDir())
	t.Setenv("SOURCE_DATE_EPOCH", "1764547200")

	net := vm.NewNetwork(t, vm.DefaultPrefix)
	seed := net.NextAddress() // .10: the seed; the targets get .11 and .12
	vms := vm.StartN(t, 2, vm.Options{Network: net})
	pins := [2]string{vms[0].Target().Fingerprint(t), vms[1].Target().Fingerprint(t)}
	key := vms[0].Target().KeyFile

	dir := t.TempDir()
	good := filepath.Join(dir, "kubexm.iso")
	cfg := config(t, m, vms, pins, seed.String())
	makeISO(t, cfg, key, good)
	checkTree(t, good)

	// Two builds from the same inputs are byte-identical.
	again := filepath.Join(dir, "again.iso")
	makeISO(t, cfg, key, again)
	if !sameFile(t, good, again) {
		t.Error("two builds of the ISO from the same inputs differ")
	}

	// The seed, booted from a CD with BIOS, checks both hosts over SSH.
	t.Run("preflight", func(t *testing.T) {
		seedVM := boot(t, vm.ISO{Path: good}, net, seed)
		if err := seedVM.WaitConsole(passed, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
		console := seedVM.Console()
		t.Logf("the seed's console, last lines:\n%s", tail(console, 40))
		for _, v := range vms {
			if !strings.Contains(console, v.Name) {
				t.Errorf("the console's preflight table does not name %s", v.Name)
			}
		}
		if strings.Contains(console, "FAIL") {
			t.Errorf("a check failed on the seed's console:\n%s", tail(console, 40))
		}
	})

	// A wrong pinned key is refused, naming the host.
	t.Run("wrong host key", func(t *testing.T) {
		bad := filepath.Join(dir, "wrong-key.iso")
		makeISO(t, config(t, m, vms, [2]string{pins[0], pins[0]}, seed.String()), key, bad)
		seedVM := boot(t, vm.ISO{Path: bad}, net, seed)
		if err := seedVM.WaitConsole(failed, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
		c := seedVM.Console()
		t.Logf("the seed's console, last lines:\n%s", tail(c, 15))
		if !strings.Contains(c, vms[1].Name) || !strings.Contains(c, pins[1]) {
			t.Errorf("the refusal does not name %s and its key:\n%s", vms[1].Name, tail(c, 30))
		}
	})

	// With no address in the config, the seed asks the network's DHCP
	// server, says what it got, and checks the hosts from there.
	t.Run("dhcp", func(t *testing.T) {
		net.ServeDHCP()
		dhcp := filepath.Join(dir, "dhcp.iso")
		makeISO(t, config(t, m, vms, pins, ""), key, dhcp)
		seedVM := vm.Start(t, vm.Options{Name: "seed", ISO: &vm.ISO{Path: dhcp},
			DiskSize: "1G", MemoryMiB: 2048, Network: net})
		if err := seedVM.WaitConsole(passed, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
		lease, ok := net.Lease(seedVM.MAC)
		if !ok {
			t.Fatalf("the seed (%s) leased no address", seedVM.MAC)
		}
		if want := lease.String() + " on eth1 (DHCP)"; !strings.Contains(seedVM.Console(), want) {
			t.Errorf("the banner does not say %q:\n%s", want, tail(seedVM.Console(), 40))
		}
		t.Logf("the seed leased %s by DHCP", lease)
	})

	// Every way an operator may boot it reaches the installer's banner,
	// which follows the network (the seed's address is on it).
	for _, media := range []vm.Media{vm.CDROM, vm.USB} {
		for _, fw := range []vm.Firmware{vm.BIOS, vm.UEFI} {
			iso := vm.ISO{Path: good, Media: media, Firmware: fw}
			t.Run(media.String()+"-"+fw.String(), func(t *testing.T) {
				start := time.Now()
				v := boot(t, iso, net, seed)
				if err := v.WaitConsole(banner, 10*time.Minute); err != nil {
					t.Fatal(err)
				}
				t.Logf("%s %s: QEMU start to the installer banner: %s", media, fw,
					time.Since(start).Round(time.Second))
				v.Stop()
			})
		}
	}
}

// boot starts the seed VM from the medium, on net at addr.
func boot(t *testing.T, iso vm.ISO, net *vm.Network, addr netip.Prefix) *vm.VM {
	t.Helper()
	return vm.Start(t, vm.Options{Name: "seed", ISO: &iso, DiskSize: "1G", MemoryMiB: 2048,
		Network: net, Address: addr})
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	cmp := exec.Command("cmp", "-s", a, b)
	return cmp.Run() == nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

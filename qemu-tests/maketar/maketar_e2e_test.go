//go:build e2e

package maketar

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/cli"
	"github.com/kubexm/kubexm/internal/cli/buildercmd"
	"github.com/kubexm/kubexm/internal/host"
	"github.com/kubexm/kubexm/profiles"
	"github.com/kubexm/kubexm/qemu-tests/upstream/mirror"
	"github.com/kubexm/kubexm/qemu-tests/vm"
)

// config is a one-host Debian 12 cluster with flannel, whose artifacts come
// from the mirror; OS packages come from the Debian mirror of this
// machine's apt sources. NodeLocal DNS is off: the mirror does not build
// its image.
func config(t *testing.T, m *mirror.Mirror) string {
	t.Helper()
	var sources strings.Builder
	for _, line := range strings.Split(strings.TrimRight(m.SourcesYAML(), "\n"), "\n") {
		sources.WriteString("  " + line + "\n")
	}
	yaml := `apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata:
  name: e2e
spec:
  hosts:
    - name: node1
      address: 10.77.0.11
      password: unused
  roleGroups:
    controlPlane: [node1]
    worker: [node1]
  network:
    plugin: flannel
  dns:
    nodeLocalDNS:
      enabled: false
` + sources.String()
	p := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func makeTar(t *testing.T, cfg, work, out string) {
	t.Helper()
	root := buildercmd.NewBuilder()
	var buf bytes.Buffer
	root.SetArgs([]string{"make-tar", "-f", cfg, "-o", out, "--workdir", work})
	root.SetOut(&buf)
	root.SetErr(&buf)
	if code := cli.ExecuteContext(context.Background(), root); code != 0 {
		t.Fatalf("make-tar: exit %d\n%s", code, buf.String())
	}
	t.Logf("make-tar:\n%s", buf.String())
}

func TestMakeTarAgainstTheMirror(t *testing.T) {
	m := mirror.Start(t)
	cfg := config(t, m)
	t.Setenv("KUBEXM_CACHE", t.TempDir())
	t.Setenv("SOURCE_DATE_EPOCH", "1764547200")

	// 1. A bundle of real artifacts, verified.
	dir := t.TempDir()
	work, out := filepath.Join(dir, bundle.Dir), filepath.Join(dir, "kubexm.tar.gz")
	makeTar(t, cfg, work, out)
	if _, err := bundle.Verify(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	kubeadm := filepath.Join(work, "kubernetes", "v1.37.2", "amd64", "kubeadm")
	v, err := exec.Command(kubeadm, "version", "-o", "short").Output()
	if err != nil || strings.TrimSpace(string(v)) != "v1.37.2" {
		t.Errorf("the bundle's kubeadm says %q, %v; want v1.37.2", v, err)
	}

	// 2. A second run, into a new tree, downloads nothing.
	path := "/dl.k8s.io/release/v1.37.2/bin/linux/amd64/kubeadm"
	before := m.Files.Hits(path) + m.Files.Hits(path+".sha256")
	dir2 := t.TempDir()
	makeTar(t, cfg, filepath.Join(dir2, bundle.Dir), filepath.Join(dir2, "kubexm.tar.gz"))
	if after := m.Files.Hits(path) + m.Files.Hits(path+".sha256"); after != before {
		t.Errorf("the second make-tar asked the mirror %d more times for kubeadm", after-before)
	}

	// 3. A host with no network beyond its private one installs the OS
	// packages from the bundle's ISO image alone.
	installFromISO(t, filepath.Join(work, "os", "debian", "12", "amd64", "debian-12-amd64.iso"))
}

func installFromISO(t *testing.T, iso string) {
	t.Helper()
	vms := vm.StartN(t, 1, vm.Options{})
	tgt := vms[0].Target()
	h := host.NewSSH(host.SSHConfig{Name: tgt.Name, Address: tgt.Host, Port: tgt.Port,
		User: tgt.RootUser, PrivateKeyPath: tgt.KeyFile, KnownHostsPath: tgt.KnownHostsFile})
	defer h.Close()
	ctx := context.Background()

	f, err := os.Open(iso)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := h.Upload(ctx, f, "/root/os.iso", host.UploadOptions{}); err != nil {
		t.Fatal(err)
	}
	prof, err := profiles.Default()
	if err != nil {
		t.Fatal(err)
	}
	pkgs := strings.Join(prof.PackagesFor("controlPlane", "worker"), " ")
	script := "set -e; mkdir -p /mnt/kubexm; mount -o loop,ro /root/os.iso /mnt/kubexm; " +
		"rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; " +
		"echo 'deb [trusted=yes] file:/mnt/kubexm ./' > /etc/apt/sources.list.d/kubexm.list; " +
		"apt-get update -q; DEBIAN_FRONTEND=noninteractive apt-get install -y -q " +
		"--no-install-recommends " + pkgs + "; conntrack --version; socat -V | head -2"
	res, err := h.Run(ctx, host.Command{Cmd: script})
	if err != nil {
		t.Fatalf("installing from the ISO on %s: %v", tgt.Name, err)
	}
	t.Logf("installed from the bundle's ISO:\n%s", res.Stdout)
}

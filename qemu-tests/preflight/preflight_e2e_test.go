//go:build e2e

package preflight

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubexm/kubexm/internal/cli"
	"github.com/kubexm/kubexm/qemu-tests/vm"
)

// config writes a cluster of the two VMs: vm1 the control plane and etcd,
// reached as root by key; vm2 a worker, reached as the sudo user.
func config(t *testing.T, vms []*vm.VM, pins [2]string) string {
	t.Helper()
	a, b := vms[0].Target(), vms[1].Target()
	yaml := fmt.Sprintf(`apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata:
  name: e2e
spec:
  hosts:
    - name: %s
      address: %s
      port: %d
      internalAddress: %s
      user: %s
      privateKeyPath: %s
      hostKeyFingerprint: %q
    - name: %s
      address: %s
      port: %d
      internalAddress: %s
      user: %s
      password: %q
      privateKeyPath: %s
      hostKeyFingerprint: %q
  roleGroups:
    etcd: [%s]
    controlPlane: [%s]
    worker: [%s, %s]
`, a.Name, a.Host, a.Port, a.Address, a.RootUser, a.KeyFile, pins[0],
		b.Name, b.Host, b.Port, b.Address, b.SudoUser, b.SudoPassword, b.KeyFile, pins[1],
		a.Name, a.Name, a.Name, b.Name)
	path := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func preflight(t *testing.T, cfg string) (int, string) {
	t.Helper()
	root := cli.NewKubexm()
	var out bytes.Buffer
	root.SetArgs([]string{"preflight", "-f", cfg, "--workdir", t.TempDir()})
	root.SetOut(&out)
	root.SetErr(&out)
	code := cli.ExecuteContext(context.Background(), root)
	t.Logf("kubexm preflight: exit %d\n%s", code, out.String())
	return code, out.String()
}

func TestPreflightOnVMs(t *testing.T) {
	vms := vm.StartN(t, 2, vm.Options{})
	pins := [2]string{vms[0].Target().Fingerprint(t), vms[1].Target().Fingerprint(t)}
	cfg := config(t, vms, pins)

	// 1. Fresh Debian 12 hosts pass every check.
	if code, out := preflight(t, cfg); code != 0 || strings.Contains(out, "FAIL") {
		t.Fatalf("preflight on fresh hosts: exit %d, want 0 with no FAIL", code)
	}

	// 2. A wrong pinned key is refused, naming the host.
	wrong := config(t, vms, [2]string{pins[0], pins[0]})
	code, out := preflight(t, wrong)
	if code != 4 || !strings.Contains(out, vms[1].Name) || !strings.Contains(out, pins[1]) {
		t.Errorf("wrong pinned key for %s: exit %d, want 4 naming the host and its key",
			vms[1].Name, code)
	}

	// 3. Swap on, and a port the control plane needs taken: both named.
	vms[0].MustRun(t, "root", "fallocate -l 64M /swapfile && chmod 600 /swapfile && "+
		"mkswap /swapfile >/dev/null && swapon /swapfile")
	vms[1].MustRun(t, "root", "systemd-run --unit kubexm-e2e-port "+
		"systemd-socket-activate -l 10250 sleep 600")
	code, out = preflight(t, cfg)
	if code != 5 {
		t.Errorf("with swap on and a port taken: exit %d, want 5", code)
	}
	for _, want := range []string{"the kubelet refuses to run with swap",
		"port(s) 10250 already in use",
		"check(s) failed: " + vms[0].Name + " (swap)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

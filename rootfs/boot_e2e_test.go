//go:build e2e

package rootfs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/testenv"
)

// testUinit replaces the installer as uinit: it loads the modules the way
// the installer does (in the order file's order) and shows the result. It
// sleeps at the end because init powers off when uinit exits, which can
// cut off the console's last lines.
const testUinit = `#!/bbin/gosh
echo KUBEXM-E2E uinit started on $(uname -r)
for m in $(cat /etc/kubexm/modules); do insmod $m; done
cat /proc/modules
echo KUBEXM-E2E uinit done
sleep 30
`

// TestBootInQEMU boots the kernel of the real Debian package with the
// assembled initramfs (embedded base from make rootfs) and watches the
// serial console for u-root's init, the uinit and the loaded modules.
func TestBootInQEMU(t *testing.T) {
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		skipOrFail(t, "qemu-system-x86_64 is missing (Debian package qemu-system-x86)")
	}
	if _, err := Base(); errors.Is(err, ErrNoBase) {
		skipOrFail(t, err.Error())
	}

	dir := t.TempDir()
	var initrd bytes.Buffer
	k, err := Assemble(&initrd, Options{KernelDeb: kernelDeb(t), Modules: isoModules(t),
		Extra: []File{{Path: "/bin/uinit", Mode: 0o755, Data: []byte(testUinit)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kernel %s: image %d bytes, initramfs %d bytes, %d modules",
		k.Release, len(k.Image), initrd.Len(), len(k.Modules))
	kernel, initrdPath := filepath.Join(dir, "vmlinuz"), filepath.Join(dir, "initrd")
	writeFile(t, kernel, string(k.Image))
	writeFile(t, initrdPath, initrd.String())

	console := boot(t, qemu, kernel, initrdPath, "KUBEXM-E2E uinit done")
	for _, want := range []string{"Welcome to u-root", "KUBEXM-E2E uinit started on " + k.Release,
		"isofs ", "virtio_net ", "sr_mod ", "ext4 "} {
		if !strings.Contains(console, want) {
			t.Errorf("the console does not show %q", want)
		}
	}
	if t.Failed() {
		t.Logf("console:\n%s", console)
	}
}

// boot runs QEMU until the console prints done (or five minutes pass,
// enough for TCG) and returns what the console printed.
func boot(t *testing.T, qemu, kernel, initrd, done string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	accel := []string{"-accel", "tcg", "-cpu", "max"}
	if os.Getenv("KUBEXM_KVM") == "1" {
		accel = []string{"-accel", "kvm", "-cpu", "host"}
	}
	args := append([]string{"-nodefaults", "-no-user-config", "-display", "none",
		"-no-reboot", "-machine", "q35", "-m", "1024", "-smp", "1"}, accel...)
	args = append(args, "-kernel", kernel, "-initrd", initrd, "-serial", "stdio",
		"-append", "console=ttyS0 panic=-1 quiet")
	cmd := exec.CommandContext(ctx, qemu, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()

	var console strings.Builder
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		console.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), done) {
			t.Logf("booted to %q in %s", done, time.Since(start).Round(time.Second))
			return console.String()
		}
	}
	t.Fatalf("QEMU stopped or timed out before %q:\n%s", done, console.String())
	return ""
}

func skipOrFail(t *testing.T, why string) {
	t.Helper()
	testenv.Missing(t, "%s", why)
}

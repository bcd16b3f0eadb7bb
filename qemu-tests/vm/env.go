package vm

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/testenv"
)

// KVMEnv names the environment variable that turns on KVM: "1" uses it.
// The default is TCG, because a stock Debian kernel hangs on the test
// machines' /dev/kvm.
const KVMEnv = "KUBEXM_QEMU_KVM"

// useKVM reports whether VMs run with KVM.
func useKVM() bool { return os.Getenv(KVMEnv) == "1" }

// defaultBootTimeout is how long a VM may take to answer on SSH. Under TCG
// a boot to sshd takes about a minute alone and several when two VMs share
// two busy cores; the margin is for slower machines.
func defaultBootTimeout() time.Duration {
	if useKVM() {
		return 3 * time.Minute
	}
	return 15 * time.Minute
}

// RequireTools stops the test unless every program named is on PATH and
// the test runs as root (debootstrap, chroot and QEMU's use here need it).
// Outside CI a missing tool skips the test; in CI (CI=true) it fails it,
// so a broken runner is never mistaken for a passing one.
func RequireTools(t testing.TB, programs ...string) {
	t.Helper()

	stop := missing(t)
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			stop("%s is missing (run qemu-tests/vm/install-deps.sh): %v", p, err)
		}
	}
	if os.Geteuid() != 0 {
		stop("the QEMU test bed runs as root (debootstrap, chroot)")
	}
}

// requireFiles stops the test, as RequireTools does, unless every file
// named exists (firmware from a package, say).
func requireFiles(t testing.TB, files ...string) {
	t.Helper()

	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			missing(t)("%s is missing (run qemu-tests/vm/install-deps.sh): %v", f, err)
		}
	}
}

// missing returns how to stop a test whose tools are missing: skip it, or
// fail it in CI.
func missing(t testing.TB) func(format string, args ...any) {
	return func(format string, args ...any) {
		t.Helper()
		testenv.Missing(t, format, args...)
	}
}

// qemuTools are the programs Start needs.
var qemuTools = []string{"qemu-system-x86_64", "qemu-img"}

// imageTools are the programs BuildImage needs.
var imageTools = []string{"debootstrap", "mkfs.ext4", "unshare", "chroot"}

// DefaultImage returns the default host image (see ImageConfig), building
// it on first use; the build's log goes to a file whose path is logged.
func DefaultImage(t testing.TB) *Image {
	t.Helper()
	RequireTools(t, imageTools...)

	log, err := os.CreateTemp("", "kubexm-image-build-*.log")
	if err != nil {
		t.Fatalf("creating the image build log: %v", err)
	}
	defer log.Close()

	start := time.Now()
	img, err := BuildImage(context.Background(), ImageConfig{Log: log})
	if err != nil {
		t.Fatalf("building the host image (log %s): %v", log.Name(), err)
	}
	t.Logf("host image %s (kernel %s) ready in %s", filepath.Base(img.Dir),
		img.KernelRelease, time.Since(start).Round(time.Second))
	os.Remove(log.Name())
	return img
}

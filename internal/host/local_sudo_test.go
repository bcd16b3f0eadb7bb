package host

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kubexm/kubexm/internal/sshtest"
)

// childEnv marks the run of this test binary as the non-root test user.
const childEnv = "KUBEXM_TEST_LOCAL_SUDO_DIR"

// TestLocalSudoNotRoot runs this test binary again as the non-root test
// user, where the local host has to go through sudo with the password on
// its input.
func TestLocalSudoNotRoot(t *testing.T) {
	if dir := os.Getenv(childEnv); dir != "" {
		localSudoChild(t, dir)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a test as the test user")
	}
	sshtest.RequireTestUser(t)
	t.Parallel()

	bin := copyTestBinary(t)
	rootDir := t.TempDir() // 0700, root's
	cmd := exec.Command("runuser", "-u", sshtest.TestUser, "--", bin,
		"-test.run", "^TestLocalSudoNotRoot$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+rootDir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestLocalSudoNotRoot") {
		t.Fatalf("as %s: %v\n%s", sshtest.TestUser, err, out)
	}

	fi, err := os.Stat(filepath.Join(rootDir, "written"))
	if err != nil || fi.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("the file uploaded through sudo is not root's: %v", err)
	}
}

// copyTestBinary puts this test binary where the test user can run it.
func copyTestBinary(t *testing.T) string {
	// Not t.TempDir: its parent is closed to other users.
	dir, err := os.MkdirTemp("", "kubexm-host-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	bin := filepath.Join(dir, "host.test")
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}

func localSudoChild(t *testing.T, rootDir string) {
	var rec recorder
	h := NewLocal(WithSudoPassword(sshtest.TestPassword), WithRecorder(rec.record))

	if got := mustRun(t, h, Command{Cmd: "id -u", Sudo: true}); got != "0" {
		t.Errorf("id -u with Sudo = %q, want 0", got)
	}
	in := Command{Cmd: "cat", Sudo: true, Stdin: strings.NewReader("data\n")}
	if got := mustRun(t, h, in); got != "data" {
		t.Errorf("cat with Sudo = %q, want data", got)
	}

	dst := filepath.Join(rootDir, "written")
	want := []byte("root's file\n")
	if err := h.Upload(testContext(t), bytes.NewReader(want), dst,
		UploadOptions{Sudo: true, SHA256: sha256Hex(want)}); err != nil {
		t.Fatalf("upload through sudo: %v", err)
	}
	if got, err := h.ReadFile(AsRoot(testContext(t)), dst); err != nil || !bytes.Equal(got, want) {
		t.Errorf("ReadFile as root = %q (%v), want %q", got, err, want)
	}

	cancelEndsCommand(t, h, true)
	if strings.Contains(rec.text(), sshtest.TestPassword) {
		t.Errorf("the sudo password shows in the records:\n%s", rec.text())
	}
}

package host

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kubexm/kubexm/internal/sshtest"
)

// randomBytes returns n bytes that do not compress, made fast.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{1, 2, 3})
	_, _ = r.Read(b)
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// leftovers lists the temporary upload files in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, ".*.kubexm-*"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// uploadCases checks what every Host must do in Upload. dir is a directory
// on the host that its login user may write.
func uploadCases(t *testing.T, h Host, dir string) {
	data := randomBytes(64 << 20)
	dst := filepath.Join(dir, "big.bin")
	var last atomic.Int64
	opts := UploadOptions{
		Mode:     0o600,
		SHA256:   sha256Hex(data),
		Size:     int64(len(data)),
		Progress: func(written, total int64) { last.Store(written) },
	}
	if err := h.Upload(testContext(t), bytes.NewReader(data), dst, opts); err != nil {
		t.Fatalf("uploading 64 MiB: %v", err)
	}
	assertFile(t, dst, data, 0o600)
	if last.Load() != int64(len(data)) {
		t.Errorf("progress ended at %d, want %d", last.Load(), len(data))
	}

	// A wrong checksum leaves the old file and no temporary file.
	bad := UploadOptions{SHA256: sha256Hex([]byte("something else"))}
	err := h.Upload(testContext(t), strings.NewReader("new content"), dst, bad)
	if err == nil {
		t.Fatal("an upload with the wrong checksum succeeded")
	}
	if !strings.Contains(err.Error(), h.Name()) || !strings.Contains(err.Error(), bad.SHA256) {
		t.Errorf("error %q should name the host and the wanted checksum", err)
	}
	assertFile(t, dst, data, 0o600)
	if names := leftovers(t, dir); len(names) != 0 {
		t.Errorf("temporary files left behind: %v", names)
	}
}

func assertFile(t *testing.T, path string, want []byte, mode os.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes (sha256 %s), want %d bytes (sha256 %s)",
			path, len(got), sha256Hex(got)[:12], len(want), sha256Hex(want)[:12])
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != mode {
		t.Errorf("%s: mode %v (%v), want %v", path, fi.Mode().Perm(), err, mode)
	}
}

// readCases checks Download and ReadFile of a file that Upload wrote.
func readCases(t *testing.T, h Host, dir string) {
	want := randomBytes(3<<20 + 17)
	path := filepath.Join(dir, "round trip")
	if err := h.Upload(testContext(t), bytes.NewReader(want), path, UploadOptions{}); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	if err := h.Download(testContext(t), path, &buf); err != nil {
		t.Fatalf("download: %v", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("download gave %d bytes, want %d", buf.Len(), len(want))
	}
	got, err := h.ReadFile(testContext(t), path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("ReadFile gave %d bytes (%v), want %d", len(got), err, len(want))
	}

	missing := filepath.Join(dir, "missing")
	_, err = h.ReadFile(testContext(t), missing)
	if err == nil || !strings.Contains(err.Error(), h.Name()) || !strings.Contains(err.Error(), missing) {
		t.Errorf("ReadFile of a missing file: err = %v, want one naming host and path", err)
	}
}

func TestSSHUpload(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	uploadCases(t, newSSH(t, rootConfig(s)), t.TempDir())
}

func TestSSHReadBack(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	var rec recorder
	readCases(t, newSSH(t, rootConfig(s), WithRecorder(rec.record)), t.TempDir())

	// File content is no command output: the run log must not keep it.
	for _, r := range rec.recs {
		if len(r.Stdout) > 1000 {
			t.Errorf("record of %q keeps %d bytes of output", r.Cmd, len(r.Stdout))
		}
	}
	if len(rec.recs) < 4 {
		t.Errorf("recorded %d commands, want upload, download and reads", len(rec.recs))
	}
}

// TestSSHFilesAsRoot writes and reads a file that only root may, as a user
// that is not root.
func TestSSHFilesAsRoot(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{TestUser: true})
	h := newSSH(t, userConfig(s))
	dir := t.TempDir() // root's, mode 0700
	dst := filepath.Join(dir, "admin.conf")
	want := []byte("only root reads this\n")

	err := h.Upload(testContext(t), bytes.NewReader(want), dst, UploadOptions{Mode: 0o600})
	if err == nil {
		t.Fatal("the test user wrote into root's directory without sudo")
	}
	if err := h.Upload(testContext(t), bytes.NewReader(want), dst,
		UploadOptions{Mode: 0o600, Sudo: true, SHA256: sha256Hex(want)}); err != nil {
		t.Fatalf("upload through sudo: %v", err)
	}
	assertFile(t, dst, want, 0o600)

	if _, err := h.ReadFile(testContext(t), dst); err == nil {
		t.Error("the test user read root's file without sudo")
	}
	got, err := h.ReadFile(AsRoot(testContext(t)), dst)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("ReadFile as root = %q (%v), want %q", got, err, want)
	}
}

func TestSSHFacts(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{TestUser: true})
	var rec recorder
	h := newSSH(t, userConfig(s), WithRecorder(rec.record))

	f, err := h.Facts(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	saneFacts(t, f)
	// The server runs on this machine, so the local facts must agree.
	want, err := NewLocal().Facts(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	f.FreeDiskBytes, want.FreeDiskBytes = 0, 0 // may change in between
	if f != want {
		t.Errorf("facts over SSH:\n%+v\nlocal facts:\n%+v", f, want)
	}

	n := len(rec.recs)
	if _, err := h.Facts(testContext(t)); err != nil || len(rec.recs) != n {
		t.Errorf("second Facts ran %d commands (%v), want the cached facts", len(rec.recs)-n, err)
	}
}

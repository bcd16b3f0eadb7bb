// Package fetchtest helps test what downloads and bundle writing do when the real world
// pushes back, such as a disk that fills up halfway through a file.
package fetchtest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/kubexm/kubexm/internal/testenv"
)

// SmallDisk mounts a tmpfs of size bytes on a new folder and returns it: a real file
// system that answers ENOSPC ("no space left on device") once it is full, as a full disk
// does. It is unmounted when the test ends. Mounting needs root; without it the test is
// skipped, except under CI=true, where it fails.
func SmallDisk(t testing.TB, size int64) string {
	t.Helper()

	if os.Geteuid() != 0 {
		testenv.Missing(t, "mounting a small tmpfs to fill up needs root")
	}
	dir := t.TempDir()
	opts := fmt.Sprintf("size=%d,mode=0755", size)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).
		CombinedOutput(); err != nil {
		t.Fatalf("mounting a %d-byte tmpfs on %s: %v: %s", size, dir, err,
			strings.TrimSpace(string(out)))
	}

	// Cleanups run last-registered first, so this runs before TempDir's removal.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("unmounting the tmpfs on %s: %v: %s", dir, err, strings.TrimSpace(string(out)))
		}
	})
	return dir
}

// Resize gives the tmpfs of SmallDisk at dir a new size, as freeing space on a full disk
// would, so that a test can check what a run does after the disk filled up.
func Resize(t testing.TB, dir string, size int64) {
	t.Helper()

	opts := fmt.Sprintf("remount,size=%d", size)
	if out, err := exec.Command("mount", "-o", opts, dir).CombinedOutput(); err != nil {
		t.Fatalf("resizing the tmpfs on %s to %d bytes: %v: %s", dir, size, err,
			strings.TrimSpace(string(out)))
	}
}

package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kubexm/kubexm/internal/fetch/fetchtest"
)

// TestDiskFillsUpMidDownload downloads the 200 KiB kubeadm onto a 64 KiB file system: the
// error names the file and says the disk is full, nothing is retried (another attempt
// would fail the same way), and nothing is left under the final name. Once there is room,
// the next call resumes from what was written.
func TestDiskFillsUpMidDownload(t *testing.T) {
	fs, base, data := mirror(t)
	disk := fetchtest.SmallDisk(t, 64<<10)
	dst := filepath.Join(disk, "kubernetes", "kubeadm")
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])

	err := fastClient().File(context.Background(), base+kubeadm, dst, want)
	t.Logf("the error: %v", err)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "kubeadm") {
		t.Fatalf("err = %v, want no space left, naming kubeadm", err)
	}
	if fs.Hits(kubeadm) != 1 {
		t.Errorf("%d requests for a file that cannot be written, want 1", fs.Hits(kubeadm))
	}
	if _, err := os.Stat(dst); err == nil {
		t.Fatalf("%s exists after the disk filled up", dst)
	}

	fetchtest.Resize(t, disk, 1<<20)
	if err := fastClient().File(context.Background(), base+kubeadm, dst, want); err != nil {
		t.Fatalf("after making room: %v", err)
	}
	if got, _ := os.ReadFile(dst); string(got) != string(data) {
		t.Error("the resumed download differs from the file")
	}
	if fs.Hits(kubeadm) != 2 {
		t.Errorf("%d requests in all, want 2 (the second resuming)", fs.Hits(kubeadm))
	}
}

// TestDiskFillsUpInTheCache fills the download cache's file system: the error names the
// file, and the cache holds no blob under the file's digest that a later run would trust.
func TestDiskFillsUpInTheCache(t *testing.T) {
	_, base, data := mirror(t)
	disk := fetchtest.SmallDisk(t, 64<<10)
	c := &Cache{Dir: filepath.Join(disk, "cache"), Client: fastClient()}
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	dst := filepath.Join(t.TempDir(), "kubeadm")

	_, err := c.File(context.Background(), base+kubeadm, want, dst)
	t.Logf("the error: %v", err)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "kubeadm") {
		t.Fatalf("err = %v, want no space left, naming kubeadm", err)
	}
	for _, p := range []string{dst, filepath.Join(c.Dir, "sha256", want)} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s exists after the disk filled up", p)
		}
	}
}

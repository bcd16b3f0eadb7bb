package isofs

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/peakmem"
)

// benchChild names the variable that makes the test binary write the
// bootable image of a tree (tree and destination, split by a newline) and
// exit, so that its peak memory is measured like xorriso's.
const benchChild = "KUBEXM_ISOFS_BENCH"

// TestMain runs the peak-memory launcher, or the benchmark's child.
func TestMain(m *testing.M) {
	peakmem.RunLauncher()
	if job := os.Getenv(benchChild); job != "" {
		os.Exit(benchWrite(job))
	}
	os.Exit(m.Run())
}

// benchWrite is the child: it writes the bootable image of the tree
// bootTree laid out, with the options the benchmark uses.
func benchWrite(job string) int {
	dir, dst, _ := strings.Cut(job, "\n")
	code, err := os.ReadFile(isohdpfxBin)
	if err == nil {
		err = Write(dir, dst, Options{Label: "KUBEXM", Time: fixedTime,
			Catalog: "isolinux/boot.cat",
			BIOS:    &BIOSBoot{Loader: "isolinux/isolinux.bin", MBRCode: code},
			EFI:     &EFIBoot{Image: "boot/efi.img"}})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// BenchmarkBootISO writes the bootable image of a medium-like tree (the
// boot files and 256 files of 512 KiB, 128 MiB) with Write and, on the
// same tree, with xorriso -as mkisofs and the same boot options, and
// reports the time ratio (Write / xorriso) and each side's peak memory.
func BenchmarkBootISO(b *testing.B) {
	xorriso := needTool(b, "xorriso", "xorriso")
	dir, _ := bootTree(b)
	rng := rand.New(rand.NewPCG(7, 8))
	const files, size = 256, 512 << 10
	for i := range files {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.IntN(256))
		}
		writeFile(b, filepath.Join(dir, fmt.Sprintf(".kubexm/blobs/sha256/%03d", i)), data)
	}
	out := b.TempDir()

	var ours, theirs time.Duration
	var ourMem, theirMem float64
	for range b.N {
		dst := filepath.Join(out, "k.iso")
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), benchChild+"="+dir+"\n"+dst)
		d, m := measure(b, cmd)
		ours, ourMem = ours+d, max(ourMem, m)

		ref := filepath.Join(out, "x.iso")
		os.Remove(ref)
		d, m = measure(b, xorrisoISO(b, xorriso, dir, ref))
		theirs, theirMem = theirs+d, max(theirMem, m)
	}
	b.SetBytes(files * size)
	b.ReportMetric(float64(ours)/float64(theirs), "time-ratio")
	b.ReportMetric(ourMem, "MiB-peak-ours")
	b.ReportMetric(theirMem, "MiB-peak-xorriso")
}

// measure runs cmd under peakmem and returns its wall time and peak
// memory in MiB.
func measure(b *testing.B, cmd *exec.Cmd) (time.Duration, float64) {
	b.Helper()
	d, m, err := peakmem.Measure(cmd)
	if err != nil {
		b.Fatal(err)
	}
	return d, m
}

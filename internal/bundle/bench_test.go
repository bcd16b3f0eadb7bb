package bundle

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/peakmem"
	"github.com/kubexm/kubexm/internal/testenv"
)

// The benchmarks pack and unpack a tree in a child process (this test
// binary run again) beside tar with pigz and zstd on the same tree, each
// measured by package peakmem.

const benchChild = "KUBEXM_BUNDLE_BENCH_CHILD"

// TestMain runs the peak-memory launcher or the child's job when the
// benchmark re-executes the binary.
func TestMain(m *testing.M) {
	peakmem.RunLauncher()
	if job := os.Getenv(benchChild); job != "" {
		os.Exit(runChild(job, os.Args[len(os.Args)-2], os.Args[len(os.Args)-1]))
	}
	os.Exit(m.Run())
}

func runChild(job, in, out string) int {
	var err error
	ctx := context.Background()
	switch job {
	case "pack-gzip":
		err = Pack(ctx, in, out, PackOptions{Compression: Gzip})
	case "pack-zstd":
		err = Pack(ctx, in, out, PackOptions{Compression: Zstd})
	case "unpack":
		_, err = Unpack(ctx, in, out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// benchTree writes about size bytes of files that compress roughly as
// binaries and image layers do (half random, half repeated text).
func benchTree(b *testing.B, size int) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), Dir)
	rng := rand.New(rand.NewPCG(3, 4))
	const fileSize = 8 << 20
	for i := 0; i*fileSize < size; i++ {
		data := make([]byte, fileSize)
		for j := 0; j < len(data)/2; j++ {
			data[j] = byte(rng.IntN(256))
		}
		for j := len(data) / 2; j < len(data); j++ {
			data[j] = "kubernetes air-gapped bundle\n"[j%29]
		}
		p := filepath.Join(dir, "images/blobs/sha256", fmt.Sprintf("%064d", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// measure runs cmd and returns its wall time and peak memory in MiB.
func measure(b *testing.B, cmd *exec.Cmd) (time.Duration, float64) {
	b.Helper()
	d, m, err := peakmem.Measure(cmd)
	if err != nil {
		b.Fatal(err)
	}
	return d, m
}

func self(job string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, args...)...)
	cmd.Env = append(os.Environ(), benchChild+"="+job)
	return cmd
}

func requireTool(b *testing.B, names ...string) {
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			testenv.Missing(b, "%s not installed", n)
		}
	}
}

// BenchmarkPack compares Pack with tar piped through pigz and zstd -T0 on
// a 512 MiB tree: time ratio (ours / theirs) and each side's peak memory.
func BenchmarkPack(b *testing.B) {
	requireTool(b, "tar", "pigz", "zstd")
	dir := benchTree(b, 512<<20)
	out := b.TempDir()
	for _, c := range []struct{ ours, tool string }{
		{"pack-gzip", "pigz"}, {"pack-zstd", "zstd -T0"},
	} {
		b.Run(c.ours, func(b *testing.B) {
			var ours, theirs time.Duration
			var ourMem, theirMem float64
			for range b.N {
				d, m := measure(b, self(c.ours, dir, filepath.Join(out, "ours")))
				ours, ourMem = ours+d, max(ourMem, m)
				d, m = measure(b, exec.Command("tar", "-C", filepath.Dir(dir), "-I", c.tool,
					"-cf", filepath.Join(out, "theirs"), Dir))
				theirs, theirMem = theirs+d, max(theirMem, m)
			}
			b.ReportMetric(float64(ours)/float64(theirs), "time-ratio")
			b.ReportMetric(ourMem, "MiB-peak-ours")
			b.ReportMetric(theirMem, "MiB-peak-tar")
			b.ReportMetric(sizeRatio(b, filepath.Join(out, "ours"), filepath.Join(out, "theirs")),
				"size-ratio")
		})
	}
}

// sizeRatio is the size of file a over that of file b: a faster pack that
// compressed less would not be faster at the same job.
func sizeRatio(b *testing.B, a, c string) float64 {
	fa, err := os.Stat(a)
	if err != nil {
		b.Fatal(err)
	}
	fc, err := os.Stat(c)
	if err != nil {
		b.Fatal(err)
	}
	return float64(fa.Size()) / float64(fc.Size())
}

// BenchmarkUnpack compares Unpack (which also verifies every checksum)
// with tar -I pigz -x on the same bundle.
func BenchmarkUnpack(b *testing.B) {
	requireTool(b, "tar", "pigz")
	dir := benchTree(b, 512<<20)
	tarball := filepath.Join(b.TempDir(), "kubexm.tar.gz")
	if err := Pack(context.Background(), dir, tarball, PackOptions{}); err != nil {
		b.Fatal(err)
	}
	var ours, theirs time.Duration
	var ourMem, theirMem float64
	for range b.N {
		d, m := measure(b, self("unpack", tarball, b.TempDir()))
		ours, ourMem = ours+d, max(ourMem, m)
		d, m = measure(b, exec.Command("tar", "-C", b.TempDir(), "-I", "pigz", "-xf", tarball))
		theirs, theirMem = theirs+d, max(theirMem, m)
	}
	b.ReportMetric(float64(ours)/float64(theirs), "time-ratio")
	b.ReportMetric(ourMem, "MiB-peak-ours")
	b.ReportMetric(theirMem, "MiB-peak-tar")
}

package images

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/peakmem"
)

// The benchmark copies the same images from the same docker-registry on
// loopback with Save, in a child process (this test binary run again), and
// with skopeo copy --all, one process per image as a script would run it.
//
// Each side's time and peak memory are measured by package peakmem.

const (
	benchChild = "KUBEXM_IMAGES_BENCH_DIR"
	benchRefs  = "KUBEXM_IMAGES_BENCH_REFS"
)

// TestMain runs the peak-memory launcher or the child's Save when the
// benchmark re-executes the binary.
func TestMain(m *testing.M) {
	peakmem.RunLauncher()
	if dir := os.Getenv(benchChild); dir != "" {
		refs := strings.Split(os.Getenv(benchRefs), ",")
		if _, err := Save(context.Background(), dir, refs, Options{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// BenchmarkSaveVsSkopeo copies 8 two-platform images of 3 layers of 2 MiB
// (96 MiB) and reports the time ratio (Save / skopeo) and each side's peak
// memory.
func BenchmarkSaveVsSkopeo(b *testing.B) {
	skopeo := requireTool(b, "skopeo")
	reg := startRegistry(b, nil)
	var refs []string
	for i := range 8 {
		idx, _ := multiArchSized(b, 2<<20, "linux/amd64", "linux/arm64")
		ref := fmt.Sprintf("%s/bench/app%d:v1", reg, i)
		push(b, ref, idx)
		refs = append(refs, ref)
	}

	var ours, theirs time.Duration
	var ourMem, theirMem float64
	for range b.N {
		env := []string{benchChild + "=" + b.TempDir(), benchRefs + "=" + strings.Join(refs, ",")}
		d, m := measure(b, env, os.Args[0], "-test.run=^$")
		ours, ourMem = ours+d, max(ourMem, m)

		dir := b.TempDir()
		for i, ref := range refs {
			d, m := measure(b, nil, skopeo, "copy", "--all", "--quiet",
				"--src-tls-verify=false", "docker://"+ref, fmt.Sprintf("oci:%s:app%d", dir, i))
			theirs, theirMem = theirs+d, max(theirMem, m)
		}
	}
	b.ReportMetric(float64(ours)/float64(theirs), "time-ratio")
	b.ReportMetric(ourMem, "MiB-peak-ours")
	b.ReportMetric(theirMem, "MiB-peak-skopeo")
}

// measure runs args with env added and returns the wall time and the peak
// memory in MiB.
func measure(b *testing.B, env []string, args ...string) (time.Duration, float64) {
	b.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	d, m, err := peakmem.Measure(cmd)
	if err != nil {
		b.Fatal(err)
	}
	return d, m
}

package images

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The benchmark copies the same images from the same docker-registry on
// loopback with Save, in a child process (this test binary run again), and
// with skopeo copy --all, one process per image as a script would run it.
//
// Each side runs under a launcher, this binary again in a small mode that
// starts the command and prints its rusage maxrss. Measuring straight from
// the benchmark would not do: Go starts children with vfork, so a child's
// maxrss starts at the benchmark's own peak (the pushed images are in its
// memory), and both sides would report that. The launcher's own peak,
// about 10 MiB, is thus the floor of both figures.

const (
	benchChild   = "KUBEXM_IMAGES_BENCH_DIR"
	benchRefs    = "KUBEXM_IMAGES_BENCH_REFS"
	benchLaunch  = "KUBEXM_IMAGES_BENCH_LAUNCH"
	launchMarker = "--run"
)

// TestMain runs the launcher or the child's Save when the benchmark
// re-executes the binary.
func TestMain(m *testing.M) {
	if os.Getenv(benchLaunch) != "" {
		os.Exit(launch())
	}
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

// launch runs the command after launchMarker and prints its maxrss in KiB.
func launch() int {
	i := slices.Index(os.Args, launchMarker)
	cmd := exec.Command(os.Args[i+1], os.Args[i+2:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Env = slices.DeleteFunc(os.Environ(), func(e string) bool {
		return strings.HasPrefix(e, benchLaunch+"=")
	})
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
	return 0
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

// measure runs args under the launcher and returns the wall time and the
// peak memory in MiB.
func measure(b *testing.B, env []string, args ...string) (time.Duration, float64) {
	b.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", launchMarker}, args...)...)
	cmd.Env = append(append(os.Environ(), benchLaunch+"=1"), env...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%v: %v", args, err)
	}
	d := time.Since(start)
	kib, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("%v: launcher said %q", args, out)
	}
	return d, kib / 1024
}

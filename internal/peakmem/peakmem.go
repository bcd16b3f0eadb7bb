// Package peakmem measures the wall time and peak memory of a command, for
// benchmarks that compare kubexm with the tool a user would otherwise run.
//
// The command runs under a launcher: the benchmark's own binary started
// again, in a small mode that runs the command and prints its rusage
// maxrss. Measured straight from the benchmark, a child's maxrss would start
// at the benchmark's own peak (Go starts children with vfork, and Linux
// carries the parent's high-water mark into the child until it execs). The
// launcher's small peak is then the floor of every figure.
package peakmem

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const launchEnv = "KUBEXM_PEAKMEM_LAUNCH"

// RunLauncher makes this process the launcher when Measure started it as
// one: it runs the command, prints its maxrss and exits. Call it first in
// TestMain; otherwise it returns at once.
func RunLauncher() {
	if os.Getenv(launchEnv) == "" {
		return
	}
	argv := os.Args[slices.Index(os.Args, "--")+1:]
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Env = slices.DeleteFunc(os.Environ(), func(e string) bool {
		return strings.HasPrefix(e, launchEnv+"=")
	})
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
	os.Exit(0)
}

// Measure runs cmd (its Path, Args and Env) under the launcher and returns
// its wall time and peak memory in MiB.
func Measure(cmd *exec.Cmd) (time.Duration, float64, error) {
	argv := append([]string{os.Args[0], "-test.run=^$", "--", cmd.Path}, cmd.Args[1:]...)
	l := &exec.Cmd{Path: os.Args[0], Args: argv, Stderr: os.Stderr,
		Env: append(cmd.Environ(), launchEnv+"=1")}
	start := time.Now()
	out, err := l.Output()
	if err != nil {
		return 0, 0, fmt.Errorf("%v: %w", cmd.Args, err)
	}
	elapsed := time.Since(start)
	kib, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%v: the launcher said %q", cmd.Args, out)
	}
	return elapsed, kib / 1024, nil
}

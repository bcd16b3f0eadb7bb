package host

import (
	"bufio"
	"errors"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func TestLocalRun(t *testing.T) {
	t.Parallel()
	h := NewLocal()
	if h.Name() != "control" {
		t.Errorf("Name() = %q, want control", h.Name())
	}
	runCommandCases(t, h)
}

func TestLocalSudoAsRoot(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("runs commands directly only as root")
	}
	var rec recorder
	h := NewLocal(WithRecorder(rec.record))
	if got := mustRun(t, h, Command{Cmd: "id -u", Sudo: true}); got != "0" {
		t.Errorf("id -u with Sudo = %q, want 0", got)
	}
	if strings.Contains(rec.text(), "sudo -") {
		t.Errorf("root went through sudo:\n%s", rec.text())
	}
}

func TestLocalCancel(t *testing.T) {
	t.Parallel()
	cancelEndsCommand(t, NewLocal(), false)
}

func TestLocalUpload(t *testing.T) {
	t.Parallel()
	uploadCases(t, NewLocal(), t.TempDir())
}

func TestLocalReadBack(t *testing.T) {
	t.Parallel()
	readCases(t, NewLocal(), t.TempDir())
}

func TestLocalFacts(t *testing.T) {
	t.Parallel()
	f, err := NewLocal().Facts(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	saneFacts(t, f)
}

func TestLocalRecorder(t *testing.T) {
	t.Parallel()
	var rec recorder
	h := NewLocal(WithRecorder(rec.record), WithSudoPassword("local-sudo-pw"))

	_, err := h.Run(testContext(t), Command{Cmd: "echo local-sudo-pw; exit 4"})
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 4 {
		t.Fatalf("err = %v, want a *CommandError with code 4", err)
	}
	if len(rec.recs) != 1 {
		t.Fatalf("recorded %d commands, want 1", len(rec.recs))
	}
	r := rec.recs[0]
	if r.Host != "control" || r.ExitCode != 4 || r.Err == nil || r.Duration <= 0 {
		t.Errorf("record = %+v, want host control, code 4, an error and a duration", r)
	}
	if strings.Contains(rec.text(), "local-sudo-pw") || strings.Contains(err.Error(), "local-sudo-pw") {
		t.Errorf("the sudo password shows:\n%s\n%v", rec.text(), err)
	}
}

// saneFacts checks facts against what this machine says of itself; the
// test servers run here too.
func saneFacts(t *testing.T, f Facts) {
	t.Helper()
	var uts syscall.Utsname
	_ = syscall.Uname(&uts)
	var st syscall.Statfs_t
	_ = syscall.Statfs("/var/lib", &st)
	hostname, _ := os.Hostname()
	free := st.Bavail * uint64(st.Bsize)

	checks := []struct {
		name string
		ok   bool
	}{
		{"hostname " + f.Hostname, f.Hostname == hostname},
		{"OS " + f.OSID + " " + f.OSVersion, f.OSID == osRelease("ID") &&
			f.OSVersion == osRelease("VERSION_ID")},
		{"arch " + f.Arch, f.Arch == runtime.GOARCH},
		{"kernel " + f.Kernel, f.Kernel == utsString(uts.Release[:])},
		{"cpus", f.CPUs >= 1 && f.CPUs <= runtime.NumCPU()},
		{"memory", f.MemoryBytes > 64<<20},
		{"init " + f.InitSystem, f.InitSystem != "" && !strings.ContainsAny(f.InitSystem, " \n")},
		{"free disk", f.FreeDiskBytes > free/2 && f.FreeDiskBytes < free*2},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("fact %s is wrong in %+v", c.name, f)
		}
	}
}

func osRelease(key string) string {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+"="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

func utsString(b []int8) string {
	var s strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		s.WriteByte(byte(c))
	}
	return s.String()
}

package runlog

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/host"
)

func TestLogRecordsCommandsAndEventsWithSecretsBlanked(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	l, err := Open(dir, start, []string{"s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	l.Command(host.CommandRecord{Host: "node1", Cmd: "login --password s3cret", ExitCode: 2,
		Duration: 1500 * time.Millisecond, Stdout: "line one\nline two", Stderr: "denied",
		Err: errors.New("exit 2 with s3cret")})
	l.Report(engine.Event{Time: start, Kind: engine.StepFail, Pipeline: "p", Module: "m",
		Task: "t", Step: "s", Host: "node1", Err: "failed: s3cret"})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	if want := dir + "/20261203T100000.000Z.log"; l.Path() != want {
		t.Errorf("Path() = %q, want %q", l.Path(), want)
	}
	data, err := os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	got := string(data)
	for _, want := range []string{
		"command host=node1 exit=2 duration=1.5s sudo=false",
		"    $ login --password ******",
		"    stdout: line one\n            line two",
		"    stderr: denied",
		`event step-fail pipeline=p module="m" task="t" step="s" host="node1"`,
		"    error: failed: ******",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "s3cret") {
		t.Errorf("log shows the secret:\n%s", got)
	}
	if fi, _ := os.Stat(l.Path()); fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode %v, want 0600: it holds command output", fi.Mode().Perm())
	}
}

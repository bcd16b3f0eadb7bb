// Package runlog writes the log file of a run: every command run on every
// host with its exit code, duration and output, and every engine event, with
// secrets blanked. It is what an operator opens when a run fails; the
// terminal shows only the summary.
package runlog

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/host"
	"github.com/kubexm/kubexm/internal/redact"
)

// Log is an open run log. Its methods are safe for concurrent use.
type Log struct {
	path string
	red  redact.Redactor

	mu sync.Mutex
	f  *os.File
	w  *bufio.Writer
}

// Open creates dir/<time>.log, named by the run's start time, and blanks
// secrets out of everything written to it.
func Open(dir string, start time.Time, secrets []string) (*Log, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating log directory: %w", err)
	}
	name := start.UTC().Format("20060102T150405.000Z") + ".log"
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating run log: %w", err)
	}
	return &Log{path: path, red: redact.New(secrets), f: f, w: bufio.NewWriter(f)}, nil
}

// Path is the log file's path, for the line that tells the operator where
// to look.
func (l *Log) Path() string { return l.path }

// Command records one command. Its fields have been blanked by the host
// already; the log blanks its own secrets too, in case a caller forgot one.
func (l *Log) Command(rec host.CommandRecord) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s command host=%s exit=%d duration=%s sudo=%v\n",
		time.Now().UTC().Format(time.RFC3339Nano), rec.Host, rec.ExitCode,
		rec.Duration.Round(time.Millisecond), rec.Sudo)
	indent(&b, "$ ", rec.Cmd)
	indent(&b, "stdout: ", rec.Stdout)
	indent(&b, "stderr: ", rec.Stderr)
	if rec.Err != nil {
		indent(&b, "error: ", rec.Err.Error())
	}
	l.write(b.String())
}

// Report records an engine event. It makes the log an engine.Reporter.
func (l *Log) Report(e engine.Event) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s event %s pipeline=%s", e.Time.UTC().Format(time.RFC3339Nano), e.Kind,
		e.Pipeline)
	for _, kv := range [][2]string{{"module", e.Module}, {"task", e.Task}, {"step", e.Step},
		{"host", e.Host}, {"status", string(e.Status)}, {"reason", e.Reason}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, " %s=%q", kv[0], kv[1])
		}
	}
	if e.Kind == engine.StepProgress {
		return // progress is for the screen; the log keeps outcomes
	}
	if e.Attempt > 0 {
		fmt.Fprintf(&b, " attempt=%d", e.Attempt)
	}
	if e.Duration > 0 {
		fmt.Fprintf(&b, " duration=%s", e.Duration.Round(time.Millisecond))
	}
	b.WriteString("\n")
	if e.Err != "" {
		indent(&b, "error: ", e.Err)
	}
	l.write(b.String())
}

// Printf records a free-form line, for what is neither command nor event.
func (l *Log) Printf(format string, args ...any) {
	l.write(time.Now().UTC().Format(time.RFC3339Nano) + " " + fmt.Sprintf(format, args...) + "\n")
}

// Close flushes and closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.w.Flush(); err != nil {
		l.f.Close()
		return fmt.Errorf("writing run log %s: %w", l.path, err)
	}
	return l.f.Close()
}

func (l *Log) write(s string) {
	s = l.red.String(s)
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.WriteString(s) // a full disk must not fail the run it logs
	_ = l.w.Flush()
}

// indent writes text with each line prefixed, the first by label.
func indent(b *strings.Builder, label, text string) {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return
	}
	pad := strings.Repeat(" ", len(label))
	for i, line := range strings.Split(text, "\n") {
		if i == 0 {
			fmt.Fprintf(b, "    %s%s\n", label, line)
		} else {
			fmt.Fprintf(b, "    %s%s\n", pad, line)
		}
	}
}

package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/golden"
)

// script is a short run: one task on two hosts, one of which fails after a
// retry, the other skipping a step that is done.
func script() []engine.Event {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	ev := func(s int, e engine.Event) engine.Event {
		e.Time, e.Pipeline = at(s), "preflight"
		return e
	}
	where := engine.Event{Module: "preflight", Task: "check hosts"}
	step := func(s int, kind engine.EventKind, stepName, host string, e engine.Event) engine.Event {
		e.Kind, e.Module, e.Task, e.Step, e.Host = kind, where.Module, where.Task, stepName, host
		return ev(s, e)
	}
	return []engine.Event{
		ev(0, engine.Event{Kind: engine.PipelineStart, Mode: engine.OnlineDirect}),
		ev(0, engine.Event{Kind: engine.ModuleStart, Module: "preflight"}),
		ev(0, engine.Event{Kind: engine.TaskStart, Module: "preflight", Task: "check hosts",
			Hosts: []string{"node1", "node2"}}),
		step(0, engine.StepStart, "gather facts", "node1", engine.Event{Attempt: 1}),
		step(1, engine.StepDone, "gather facts", "node1", engine.Event{Duration: time.Second}),
		step(1, engine.StepSkip, "swap", "node1", engine.Event{Reason: "already done"}),
		step(1, engine.StepDone, "ports free", "node1", engine.Event{Duration: time.Second / 2,
			Reason: "port(s) 10250 already in use"}),
		step(1, engine.StepRetry, "gather facts", "node2", engine.Event{Attempt: 1,
			Reason: "retrying in 1s", Err: "connection reset"}),
		step(3, engine.StepFail, "gather facts", "node2", engine.Event{Attempt: 2,
			Err: "host node2: connection refused"}),
		ev(3, engine.Event{Kind: engine.TaskDone, Module: "preflight", Task: "check hosts",
			Status: engine.StatusFailed, Duration: 3 * time.Second}),
		ev(3, engine.Event{Kind: engine.ModuleDone, Module: "preflight",
			Status: engine.StatusFailed, Duration: 3 * time.Second}),
		ev(3, engine.Event{Kind: engine.PipelineDone, Status: engine.StatusFailed,
			Duration: 3 * time.Second}),
	}
}

func TestPlainGolden(t *testing.T) {
	var out bytes.Buffer
	p := NewPlain(&out)
	for _, e := range script() {
		p.Report(e)
	}
	golden.Check(t, "plain.txt", out.Bytes())
}

func TestTerminalGolden(t *testing.T) {
	var out bytes.Buffer
	term := &Terminal{w: &out} // no animation: each event draws once
	for _, e := range script() {
		term.Report(e)
	}
	got := strings.ReplaceAll(out.String(), "\x1b", "ESC")
	golden.Check(t, "terminal.txt", []byte(got))
}

func TestFitKeepsLiveLinesOnOneScreenLine(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"node1 ✓ gather facts", 0, "node1 ✓ gather facts"},
		{"node1 ✓ gather facts", 40, "node1 ✓ gather facts"},
		{"node1 ✓ gather facts", 10, "node1 ✓ …"},
	}
	for _, tt := range tests {
		if got := fit(tt.in, tt.width); got != tt.want {
			t.Errorf("fit(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

func TestTerminalCapsHostLines(t *testing.T) {
	var out bytes.Buffer
	term := &Terminal{w: &out}
	hosts := make([]string, 20)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("node%d", i+1)
	}
	term.Report(engine.Event{Kind: engine.TaskStart, Module: "m", Task: "t", Hosts: hosts})
	if term.drawn != 1+maxHostLines+1 || !strings.Contains(out.String(), "… and 12 more hosts") {
		t.Errorf("drew %d lines:\n%s", term.drawn, out.String())
	}
}

func TestJSONLines(t *testing.T) {
	var out bytes.Buffer
	r := New(JSON, &out)
	for _, e := range script() {
		r.Report(e)
	}
	r.Close()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(script()) {
		t.Fatalf("%d lines, want one per event (%d)", len(lines), len(script()))
	}
	// Each line is its event: the finding and the failure keep their fields.
	for i, e := range script() {
		var got struct {
			Kind         engine.EventKind
			Host, Reason string
			Err          string `json:"error"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatal(err)
		}
		if got.Kind != e.Kind || got.Host != e.Host || got.Reason != e.Reason || got.Err != e.Err {
			t.Errorf("line %d = %+v, want %+v", i+1, got, e)
		}
	}
}

func TestNewPicksPlainForAPipe(t *testing.T) {
	if _, ok := New(Text, &bytes.Buffer{}).(*Plain); !ok {
		t.Errorf("text output to a buffer: want the plain reporter (no spinner off a TTY)")
	}
}

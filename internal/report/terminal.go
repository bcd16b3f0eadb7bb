package report

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/kubexm/kubexm/internal/engine"
)

// spinner frames, drawn at redrawEvery.
var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

const redrawEvery = 100 * time.Millisecond

// maxHostLines bounds the hosts drawn per running task, so that a task on
// many hosts cannot push the live area past the screen (where the cursor
// cannot go back up to erase it).
const maxHostLines = 8

// Terminal shows a live status: a line per running task with a spinner and
// a line per host saying which step it is on; finished tasks stay above as
// one line each with a tick or a cross.
type Terminal struct {
	w    io.Writer
	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	tasks []*liveTask // running, in start order
	drawn int         // lines of live area on screen
	frame int
}

type liveTask struct {
	module, task string
	start        time.Time
	hosts        []string
	step         map[string]string // host -> what it is doing
}

// NewTerminal returns a Terminal drawing on w, which should be a terminal.
func NewTerminal(w io.Writer) *Terminal {
	t := &Terminal{w: w, stop: make(chan struct{}), done: make(chan struct{})}
	go t.animate()
	return t
}

func (t *Terminal) animate() {
	defer close(t.done)
	tick := time.NewTicker(redrawEvery)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			t.mu.Lock()
			t.frame++
			t.redraw(nil)
			t.mu.Unlock()
		}
	}
}

// Close stops the animation and clears the live area.
func (t *Terminal) Close() {
	close(t.stop)
	<-t.done
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tasks = nil
	t.redraw(nil)
}

// Report updates the status for e.
func (t *Terminal) Report(e engine.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()

	var static []string
	switch e.Kind {
	case engine.PipelineStart:
		static = append(static, fmt.Sprintf("pipeline %s (%s)", e.Pipeline, e.Mode))
	case engine.TaskStart:
		lt := &liveTask{module: e.Module, task: e.Task, start: e.Time, hosts: e.Hosts,
			step: map[string]string{}}
		for _, h := range e.Hosts {
			lt.step[h] = "waiting"
		}
		t.tasks = append(t.tasks, lt)
	case engine.StepStart, engine.StepRetry, engine.StepProgress, engine.StepDone,
		engine.StepSkip, engine.HostDone:
		if lt := t.find(e); lt != nil {
			lt.step[e.Host] = hostStatus(e)
		}
	case engine.StepFail:
		static = append(static, fmt.Sprintf("  ✗ %s: %s", e.Host, e.Err))
	case engine.TaskDone:
		static = append(static, t.finish(e))
	case engine.PipelineDone:
		mark := "✓"
		if e.Status != engine.StatusOK {
			mark = "✗"
		}
		static = append(static, fmt.Sprintf("%s pipeline %s %s in %s", mark, e.Pipeline,
			e.Status, round(e.Duration)))
	}
	t.redraw(static)
}

func (t *Terminal) find(e engine.Event) *liveTask {
	for _, lt := range t.tasks {
		if lt.module == e.Module && lt.task == e.Task {
			return lt
		}
	}
	return nil
}

// finish drops the task from the live area and returns its closing line.
func (t *Terminal) finish(e engine.Event) string {
	n := 0
	t.tasks = slices.DeleteFunc(t.tasks, func(lt *liveTask) bool {
		if lt.module == e.Module && lt.task == e.Task {
			n = len(lt.hosts)
			return true
		}
		return false
	})
	mark := "✓"
	if e.Status != engine.StatusOK {
		mark = "✗"
	}
	return fmt.Sprintf("%s %s › %s (%d host%s, %s)", mark, e.Module, e.Task, n, plural(n),
		round(e.Duration))
}

func hostStatus(e engine.Event) string {
	switch e.Kind {
	case engine.StepRetry:
		return fmt.Sprintf("%s: %s", e.Step, e.Reason)
	case engine.StepProgress:
		if e.Total > 0 {
			return fmt.Sprintf("%s: %s %d%%", e.Step, e.Message, e.Done*100/e.Total)
		}
		return fmt.Sprintf("%s: %s", e.Step, e.Message)
	case engine.StepDone:
		if e.Reason != "" { // it ran, and found something wrong
			return "✗ " + e.Step + ": " + e.Reason
		}
		return "✓ " + e.Step
	case engine.StepSkip:
		return "– " + e.Step + " (" + e.Reason + ")"
	case engine.HostDone:
		return string(e.Status)
	}
	return e.Step
}

// redraw erases the live area, prints the static lines above it, and draws
// the live area again. The caller holds t.mu.
func (t *Terminal) redraw(static []string) {
	var b strings.Builder
	if t.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", t.drawn)
	}
	for _, s := range static {
		b.WriteString(s + "\n")
	}

	t.drawn = 0
	width := t.width()
	line := func(format string, args ...any) {
		b.WriteString(fit(fmt.Sprintf(format, args...), width) + "\n")
		t.drawn++
	}
	spin := spinner[t.frame%len(spinner)]
	for _, lt := range t.tasks {
		line("%s %s › %s", spin, lt.module, lt.task)
		for i, h := range lt.hosts {
			if i == maxHostLines {
				line("    … and %d more hosts", len(lt.hosts)-maxHostLines)
				break
			}
			line("    %-20s %s", h, lt.step[h])
		}
	}
	_, _ = io.WriteString(t.w, b.String())
}

// width is the terminal's width, or 0 when it cannot be told.
func (t *Terminal) width() int {
	if f, ok := t.w.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil {
			return w
		}
	}
	return 0
}

// fit cuts s to fewer runes than width, so that no live line wraps and
// throws off the count of lines to erase. A width of 0 keeps s whole.
func fit(s string, width int) string {
	if width <= 1 || utf8.RuneCountInString(s) < width {
		return s
	}
	r := []rune(s)
	return string(r[:width-2]) + "…"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubexm/kubexm/internal/failure"
	"github.com/kubexm/kubexm/internal/golden"
	"github.com/kubexm/kubexm/internal/host"
)

// namedHost is a host that only has a name. The engine never touches a host
// itself, only its steps do, so its tests need nothing more; steps that run
// commands are tested against real sshd in their own packages.
type namedHost struct{ name string }

func (h namedHost) Name() string { return h.name }
func (namedHost) Run(context.Context, host.Command) (host.Result, error) {
	return host.Result{}, errors.New("namedHost runs no commands")
}
func (namedHost) Upload(context.Context, io.Reader, string, host.UploadOptions) error {
	return errors.New("namedHost takes no uploads")
}
func (namedHost) Download(context.Context, string, io.Writer) error {
	return errors.New("namedHost has no files")
}
func (namedHost) ReadFile(context.Context, string) ([]byte, error) {
	return nil, errors.New("namedHost has no files")
}
func (namedHost) Facts(context.Context) (host.Facts, error) { return host.Facts{}, nil }
func (namedHost) Close() error                              { return nil }

// inventory returns an inventory of n hosts node1..nodeN, all in role
// "worker", the first also in "control-plane", plus the control machine.
func inventory(n int) *StaticInventory {
	hosts := map[string]host.Host{Control: namedHost{Control}}
	roles := map[string][]string{}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("node%d", i)
		hosts[name] = namedHost{name}
		roles["worker"] = append(roles["worker"], name)
	}
	roles["control-plane"] = []string{"node1"}
	return NewInventory(hosts, roles)
}

// journal records what ran, in order, safely from many goroutines.
type journal struct {
	mu    sync.Mutex
	lines []string
}

func (j *journal) add(s string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.lines = append(j.lines, s)
}

func (j *journal) get() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.lines)
}

// logStep returns a step that writes "step@host" to j.
func logStep(j *journal, name string) Step {
	return StepFunc(name, func(_ context.Context, rt *Runtime) error {
		j.add(name + "@" + rt.Host.Name())
		return nil
	})
}

// events collects a run's events.
type events struct {
	mu sync.Mutex
	es []Event
}

func (e *events) Report(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.es = append(e.es, ev)
}

// of returns "kind step@host reason" for the events of the given kinds.
func (e *events) of(kinds ...EventKind) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.es {
		if slices.Contains(kinds, ev.Kind) {
			out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s@%s %s", ev.Kind, ev.Step,
				ev.Host, ev.Reason)))
		}
	}
	return out
}

func TestStagesRunInOrderAndParallelModulesTogether(t *testing.T) {
	j := &journal{}
	// Each parallel module waits for the other to start: run one after the
	// other, they would never finish.
	var started sync.WaitGroup
	started.Add(2)
	meet := func(name string) Step {
		return StepFunc(name, func(ctx context.Context, rt *Runtime) error {
			started.Done()
			done := make(chan struct{})
			go func() { started.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				return errors.New("the other parallel module never started")
			}
			j.add(name)
			return nil
		})
	}
	p := New("order", OnlineDirect).
		Then(NewModule("first", &Task{Name: "t", Hosts: OnControl(), Steps: []Step{logStep(j, "a")}})).
		Parallel(
			NewModule("left", &Task{Name: "t", Hosts: OnControl(), Steps: []Step{meet("left")}}),
			NewModule("right", &Task{Name: "t", Hosts: OnControl(), Steps: []Step{meet("right")}}),
		).
		Then(NewModule("last", &Task{Name: "t", Hosts: OnControl(), Steps: []Step{logStep(j, "z")}}))

	if _, err := p.Run(context.Background(), RunOptions{Inventory: inventory(1)}); err != nil {
		t.Fatal(err)
	}
	got := j.get()
	if got[0] != "a@control" || got[3] != "z@control" {
		t.Errorf("order = %v, want a first and z last", got)
	}
	if mid := got[1:3]; !slices.Contains(mid, "left") || !slices.Contains(mid, "right") {
		t.Errorf("order = %v, want left and right in the middle", got)
	}
}

func TestTaskFanOutIsBounded(t *testing.T) {
	tests := []struct {
		name     string
		hosts    int
		parallel int
		want     int32
	}{
		{name: "default runs all hosts at once", hosts: 6, parallel: 0, want: 6},
		{name: "bound of two", hosts: 6, parallel: 2, want: 2},
		{name: "bound above host count", hosts: 3, parallel: 10, want: 3},
		{name: "one at a time", hosts: 4, parallel: 1, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var now, peak atomic.Int32
			step := StepFunc("hold", func(context.Context, *Runtime) error {
				n := now.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(50 * time.Millisecond)
				now.Add(-1)
				return nil
			})
			p := New("fanout", OnlineIndirect).Then(NewModule("m", &Task{
				Name: "t", Hosts: OnRoles("worker"), Parallel: tt.parallel, Steps: []Step{step},
			}))
			sum, err := p.Run(context.Background(), RunOptions{Inventory: inventory(tt.hosts)})
			if err != nil {
				t.Fatal(err)
			}
			if got := peak.Load(); got != tt.want {
				t.Errorf("peak concurrency = %d, want %d", got, tt.want)
			}
			if len(sum.Outcomes) != tt.hosts {
				t.Errorf("%d outcomes, want one per host (%d)", len(sum.Outcomes), tt.hosts)
			}
		})
	}
}

func TestRolesSelectEachHostOnce(t *testing.T) {
	j := &journal{}
	p := New("roles", OnlineIndirect).Then(NewModule("m", &Task{
		Name: "t", Hosts: OnRoles("control-plane", "worker"), Parallel: 1,
		Steps: []Step{logStep(j, "s")},
	}))
	if _, err := p.Run(context.Background(), RunOptions{Inventory: inventory(3)}); err != nil {
		t.Fatal(err)
	}
	want := []string{"s@node1", "s@node2", "s@node3"}
	if diff := cmp.Diff(want, j.get()); diff != "" {
		t.Errorf("hosts run (-want +got):\n%s", diff)
	}
}

// doneStep is done on the hosts listed in done.
type doneStep struct {
	j    *journal
	done []string
}

func (doneStep) Name() string { return "converge" }
func (s doneStep) Run(_ context.Context, rt *Runtime) error {
	s.j.add("converge@" + rt.Host.Name())
	return nil
}
func (s doneStep) Done(_ context.Context, rt *Runtime) (bool, error) {
	return slices.Contains(s.done, rt.Host.Name()), nil
}

func TestStepAlreadyDoneIsSkipped(t *testing.T) {
	j, ev := &journal{}, &events{}
	p := New("skip", OnlineIndirect).Then(NewModule("m", &Task{
		Name: "t", Hosts: OnRoles("worker"), Parallel: 1,
		Steps: []Step{doneStep{j: j, done: []string{"node2"}}},
	}))
	sum, err := p.Run(context.Background(), RunOptions{Inventory: inventory(2), Reporter: ev})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"converge@node1"}, j.get()); diff != "" {
		t.Errorf("ran (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"step-skip converge@node2 already done"}, ev.of(StepSkip)); diff != "" {
		t.Errorf("skip events (-want +got):\n%s", diff)
	}
	for _, o := range sum.Outcomes {
		if o.Host == "node2" && (o.Skipped != 1 || o.Ran != 0) {
			t.Errorf("node2 outcome = %+v, want 1 skipped", o)
		}
	}
}

// flaky fails its first n attempts.
func flaky(n int, calls *atomic.Int32) Step {
	return StepFunc("flaky", func(context.Context, *Runtime) error {
		if c := calls.Add(1); int(c) <= n {
			return fmt.Errorf("attempt %d failed", c)
		}
		return nil
	})
}

func TestRetryWithBackoff(t *testing.T) {
	tests := []struct {
		name      string
		failures  int
		retries   int
		wantErr   bool
		wantCalls int32
	}{
		{name: "no retries by default", failures: 1, retries: 0, wantErr: true, wantCalls: 1},
		{name: "succeeds on the third attempt", failures: 2, retries: 2, wantCalls: 3},
		{name: "retries run out", failures: 5, retries: 2, wantErr: true, wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			ev := &events{}
			step := WithPolicy(flaky(tt.failures, &calls),
				Policy{Retries: tt.retries, Backoff: time.Millisecond})
			p := New("retry", OnlineDirect).Then(NewModule("m",
				&Task{Name: "t", Hosts: OnControl(), Steps: []Step{step}}))
			_, err := p.Run(context.Background(), RunOptions{Inventory: inventory(0), Reporter: ev})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if err != nil && failure.ExitCode(err) != 5 {
				t.Errorf("exit code = %d, want 5 (step failed)", failure.ExitCode(err))
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			if got := len(ev.of(StepRetry)); got != int(tt.wantCalls)-1 {
				t.Errorf("%d retry events, want %d", got, tt.wantCalls-1)
			}
		})
	}
}

func TestBackoffDoublesUpToItsCap(t *testing.T) {
	p := Policy{Backoff: time.Second, MaxBackoff: 5 * time.Second}
	var got []time.Duration
	for n := 2; n <= 6; n++ {
		got = append(got, p.backoff(n))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second,
		5 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
}

// blockStep waits for its context to end, then returns its error.
func blockStep(name string, started chan<- string) Step {
	return StepFunc(name, func(ctx context.Context, rt *Runtime) error {
		if started != nil {
			started <- rt.Host.Name()
		}
		<-ctx.Done()
		return ctx.Err()
	})
}

func TestStepTimeout(t *testing.T) {
	step := WithPolicy(blockStep("wait", nil), Policy{Timeout: 50 * time.Millisecond})
	p := New("timeout", OnlineDirect).Then(NewModule("m",
		&Task{Name: "t", Hosts: OnControl(), Steps: []Step{step}}))

	_, err := p.Run(context.Background(), RunOptions{Inventory: inventory(0)})
	if err == nil || !strings.Contains(err.Error(), "timed out after 50ms") {
		t.Fatalf("err = %v, want a timeout after 50ms", err)
	}
	if !strings.Contains(err.Error(), "module m, task t, step wait: host control") {
		t.Errorf("err = %v, want it to name module, task, step and host", err)
	}
	if got := failure.CategoryOf(err); got != failure.StepFailed {
		t.Errorf("category = %v, want step-failed (a step timeout is not an interrupt)", got)
	}
}

// blockingCheck is a step whose check hangs until its context ends.
type blockingCheck struct{ Step }

func (blockingCheck) Done(ctx context.Context, _ *Runtime) (bool, error) {
	<-ctx.Done()
	return false, ctx.Err()
}

func TestAFindingGoesWithTheDoneEvent(t *testing.T) {
	ev := &events{}
	finds := StepFunc("check", func(_ context.Context, rt *Runtime) error {
		if rt.Host.Name() == "node2" {
			rt.Find("swap is on")
		}
		return nil
	})
	p := New("find", OnlineIndirect).Then(NewModule("m", &Task{
		Name: "t", Hosts: OnRoles("worker"), Parallel: 1, Steps: []Step{finds}}))
	if _, err := p.Run(context.Background(), RunOptions{Inventory: inventory(2), Reporter: ev}); err != nil {
		t.Fatalf("a step with a finding failed the run: %v", err)
	}
	want := []string{"step-done check@node1", "step-done check@node2 swap is on"}
	if diff := cmp.Diff(want, ev.of(StepDone)); diff != "" {
		t.Errorf("done events (-want +got):\n%s", diff)
	}
}

func TestCheckRunsUnderTheStepTimeout(t *testing.T) {
	step := WithPolicy(blockingCheck{logStep(&journal{}, "never")},
		Policy{Timeout: 50 * time.Millisecond})
	p := New("timeout", OnlineDirect).Then(NewModule("m",
		&Task{Name: "t", Hosts: OnControl(), Steps: []Step{step}}))

	_, err := p.Run(context.Background(), RunOptions{Inventory: inventory(0)})
	if err == nil || !strings.Contains(err.Error(), "checking whether it is done: timed out after 50ms") {
		t.Fatalf("err = %v, want the check timed out after 50ms", err)
	}
}

func TestCancelStopsNewWorkAndEndsRunningSteps(t *testing.T) {
	j := &journal{}
	started := make(chan string, 4)
	p := New("cancel", OnlineIndirect).
		Then(NewModule("m", &Task{
			Name: "t", Hosts: OnRoles("worker"), Parallel: 2,
			Steps: []Step{blockStep("block", started), logStep(j, "after")},
		})).
		Then(NewModule("later", &Task{Name: "t", Hosts: OnControl(), Steps: []Step{logStep(j, "x")}}))

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		<-started
		cancel()
	}()
	sum, err := p.Run(ctx, RunOptions{Inventory: inventory(4)})

	if failure.ExitCode(err) != 130 {
		t.Fatalf("err = %v (exit %d), want interrupted (130)", err, failure.ExitCode(err))
	}
	if got := j.get(); len(got) != 0 {
		t.Errorf("ran after cancel: %v", got)
	}
	if len(started) != 0 {
		t.Errorf("a host started after cancel")
	}
	if len(sum.Outcomes) != 4 {
		t.Fatalf("%d outcomes, want all 4 hosts reported", len(sum.Outcomes))
	}
	for i, o := range sum.Outcomes {
		if want := fmt.Sprintf("node%d", i+1); o.Host != want {
			t.Errorf("outcome %d is %s, want %s: outcomes follow the plan's order", i, o.Host, want)
		}
	}
	for _, o := range sum.Outcomes {
		if o.Status != StatusStopped {
			t.Errorf("%s: status %s, want stopped", o.Host, o.Status)
		}
	}
}

func TestFirstFailureStopsTheTask(t *testing.T) {
	for _, cont := range []bool{false, true} {
		t.Run(fmt.Sprintf("continue=%v", cont), func(t *testing.T) {
			j := &journal{}
			fail := StepFunc("first", func(_ context.Context, rt *Runtime) error {
				if rt.Host.Name() == "node1" {
					return errors.New("disk full")
				}
				return nil
			})
			p := New("stop", OnlineIndirect).Then(NewModule("m", &Task{
				Name: "t", Hosts: OnRoles("worker"), Parallel: 1, ContinueOnError: cont,
				Steps: []Step{fail, logStep(j, "second")},
			}))
			sum, err := p.Run(context.Background(), RunOptions{Inventory: inventory(3)})
			if err == nil || !strings.Contains(err.Error(), "host node1: disk full") {
				t.Fatalf("err = %v, want node1's failure", err)
			}

			want := map[string]Status{"node1": StatusFailed, "node2": StatusStopped,
				"node3": StatusStopped}
			wantRan := []string(nil)
			if cont {
				want = map[string]Status{"node1": StatusFailed, "node2": StatusOK, "node3": StatusOK}
				wantRan = []string{"second@node2", "second@node3"}
			}
			got := map[string]Status{}
			for _, o := range sum.Outcomes {
				got[o.Host] = o.Status
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantRan, j.get()); diff != "" {
				t.Errorf("ran (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAFailedModuleStopsTheModulesBesideIt(t *testing.T) {
	started := make(chan string, 1)
	fail := StepFunc("fail", func(context.Context, *Runtime) error {
		<-started // the other module is running
		return errors.New("mirror said 404")
	})
	p := New("stage", OnlineDirect).Parallel(
		NewModule("binaries", &Task{Name: "t", Hosts: OnControl(), Steps: []Step{fail}}),
		NewModule("images", &Task{Name: "t", Hosts: OnControl(),
			Steps: []Step{blockStep("pull", started)}}),
	)
	sum, err := p.Run(context.Background(), RunOptions{Inventory: inventory(0)})
	if got := failure.ExitCode(err); got != 5 || !strings.Contains(err.Error(), "mirror said 404") {
		t.Fatalf("err = %v (exit %d), want the failure (5), not the stop it caused", err, got)
	}
	if strings.Contains(err.Error(), "images") {
		t.Errorf("err = %v, want only the failed module named", err)
	}
	for _, o := range sum.Outcomes {
		if o.Module == "images" && o.Status != StatusStopped {
			t.Errorf("images: %s, want stopped", o.Status)
		}
	}
}

func TestParallelModuleRunsItsTasksAtOnce(t *testing.T) {
	var started sync.WaitGroup
	started.Add(2)
	meet := StepFunc("meet", func(ctx context.Context, rt *Runtime) error {
		started.Done()
		done := make(chan struct{})
		go func() { started.Wait(); close(done) }()
		select {
		case <-done:
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("the other task never started")
		}
	})
	m := NewModule("binaries",
		&Task{Name: "kubernetes", Hosts: OnControl(), Steps: []Step{meet}},
		&Task{Name: "containerd", Hosts: OnControl(), Steps: []Step{meet}})
	m.Parallel = true
	if _, err := New("p", OnlineDirect).Then(m).Run(context.Background(),
		RunOptions{Inventory: inventory(0)}); err != nil {
		t.Fatal(err)
	}
}

func TestUnreachableHostKeepsItsCategory(t *testing.T) {
	step := StepFunc("dial", func(context.Context, *Runtime) error {
		return failure.Wrap(failure.Unreachable, errors.New("dial tcp 127.0.0.1:1: connection refused"))
	})
	p := New("reach", OnlineIndirect).Then(NewModule("m",
		&Task{Name: "t", Hosts: OnRoles("worker"), Steps: []Step{step}}))
	_, err := p.Run(context.Background(), RunOptions{Inventory: inventory(1)})
	if got := failure.ExitCode(err); got != 4 {
		t.Errorf("exit code = %d, want 4 (unreachable); err = %v", got, err)
	}
}

func TestResume(t *testing.T) {
	statePath := filepath.Join(t.TempDir(), ".kubexm", "state.json")
	j := &journal{}
	var failSecond atomic.Bool
	failSecond.Store(true)
	second := StepFunc("second", func(_ context.Context, rt *Runtime) error {
		if failSecond.Load() && rt.Host.Name() == "node2" {
			return errors.New("boom")
		}
		j.add("second@" + rt.Host.Name())
		return nil
	})
	p := New("resume", OnlineIndirect).Then(NewModule("m", &Task{
		Name: "t", Hosts: OnRoles("worker"), ContinueOnError: true, Parallel: 1,
		Steps: []Step{logStep(j, "first"), second},
	}))
	runWith := func(hash string, resume bool) (*events, error) {
		t.Helper()
		st, _, err := OpenState(statePath, p.Name, hash, resume)
		if err != nil {
			t.Fatal(err)
		}
		ev := &events{}
		_, err = p.Run(context.Background(), RunOptions{Inventory: inventory(2), Reporter: ev,
			State: st})
		return ev, err
	}

	if _, err := runWith("h1", false); err == nil {
		t.Fatal("first run: want node2 to fail")
	}
	failSecond.Store(false)
	j.lines = nil

	ev, err := runWith("h1", true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"second@node2"}, j.get()); diff != "" {
		t.Errorf("resumed run ran (-want +got):\n%s", diff)
	}
	if got := len(ev.of(StepSkip)); got != 3 {
		t.Errorf("%d skips on resume, want 3: %v", got, ev.of(StepSkip))
	}

	// Other inputs: the record is no evidence; everything runs again.
	j.lines = nil
	st, stale, err := OpenState(statePath, p.Name, "h2", true)
	if err != nil || !stale {
		t.Fatalf("OpenState with a changed hash: stale = %v, err = %v; want stale", stale, err)
	}
	// The stale record is gone from disk at once, before anything runs.
	if data, _ := os.ReadFile(statePath); !strings.Contains(string(data), `"inputsHash": "h2"`) ||
		strings.Contains(string(data), "@node") {
		t.Errorf("the record of h1 survived a run opened under h2:\n%s", data)
	}
	if _, err := p.Run(context.Background(), RunOptions{Inventory: inventory(2), State: st}); err != nil {
		t.Fatal(err)
	}
	if got := len(j.get()); got != 4 {
		t.Errorf("after a config change ran %d steps, want all 4: %v", got, j.get())
	}
}

func TestPipelineRejectsRepeatedNames(t *testing.T) {
	s := StepFunc("same", func(context.Context, *Runtime) error { return nil })
	p := New("dup", OnlineDirect).Then(NewModule("m",
		&Task{Name: "t", Hosts: OnControl(), Steps: []Step{s, s}}))
	_, err := p.Run(context.Background(), RunOptions{Inventory: inventory(0)})
	if err == nil || !strings.Contains(err.Error(), `step name "same" is empty or repeated`) {
		t.Errorf("err = %v, want the repeated step named", err)
	}
}

// planPipeline is a pipeline shaped like make-tar and preflight together,
// for the plan's golden files.
func planPipeline() *Pipeline {
	nop := func(name string) Step {
		return StepFunc(name, func(context.Context, *Runtime) error { return nil })
	}
	collect := func(name string) *Module {
		return NewModule(name, &Task{Name: "save " + name, Hosts: OnControl(),
			Steps: []Step{nop("prepare workspace"), nop("save")}})
	}
	parallel := func(m *Module) *Module {
		m.Parallel = true
		return m
	}
	return New("example", Offline).
		Then(NewModule("preflight",
			&Task{Name: "check hosts", Hosts: OnRoles("control-plane", "worker"), Parallel: 2,
				Steps: []Step{nop("gather facts"), nop("check swap")}},
			nil, // a task left out by a conditional append
		)).
		Parallel(collect("images"), parallel(collect("charts"))).
		Then(NewModule("packaging", &Task{Name: "compress", Hosts: OnControl(),
			Steps: []Step{nop("write tarball")}}))
}

func TestPlanGolden(t *testing.T) {
	plan, err := planPipeline().Plan(inventory(3))
	if err != nil {
		t.Fatal(err)
	}
	var text, js bytes.Buffer
	if err := plan.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := plan.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "plan.txt", text.Bytes())
	golden.Check(t, "plan.json", js.Bytes())
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		mode, via string
		want      Mode
		wantErr   string
	}{
		{mode: "online", want: OnlineDirect},
		{mode: "online", via: "direct", want: OnlineDirect},
		{mode: "Online", via: "indirect", want: OnlineIndirect},
		{mode: "offline", want: Offline},
		{mode: "offline", via: "indirect", want: Offline},
		{mode: "offline", via: "direct", wantErr: "offline mode always runs on the target hosts"},
		{mode: "airgap", wantErr: `--mode "airgap": want online or offline`},
		{mode: "online", via: "sideways", wantErr: `--via "sideways": want direct or indirect`},
	}
	for _, tt := range tests {
		t.Run(tt.mode+"+"+tt.via, func(t *testing.T) {
			got, err := ParseMode(tt.mode, tt.via)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseMode = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

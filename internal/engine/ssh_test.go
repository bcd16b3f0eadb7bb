package engine_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/failure"
	"github.com/kubexm/kubexm/internal/host"
	"github.com/kubexm/kubexm/internal/sshtest"
)

// TestCancelEndsRemoteCommands cancels a run while two real sshd hosts run
// a long command: the run must end at once, interrupted, with the remote
// processes gone and the next step never started.
func TestCancelEndsRemoteCommands(t *testing.T) {
	servers := sshtest.StartMany(t, 2, sshtest.Options{})
	hosts := map[string]host.Host{}
	var names []string
	for i, s := range servers {
		name := []string{"node1", "node2"}[i]
		h := host.NewSSH(host.SSHConfig{Name: name, Address: s.Host, Port: s.Port, User: s.User,
			PrivateKeyPath: s.ClientKeyPath, HostKeyFingerprint: s.HostKeyFingerprint})
		t.Cleanup(func() { h.Close() })
		hosts[name], names = h, append(names, name)
	}

	// A duration no other process uses finds the remote sleeps on this
	// machine, where the loopback sshd runs them: it is in sleep's own
	// command line, whether or not the shell execs it.
	const marker = "600.4711"
	started := make(chan struct{}, 2)
	long := engine.StepFunc("long", func(ctx context.Context, rt *engine.Runtime) error {
		started <- struct{}{}
		_, err := rt.Host.Run(ctx, host.Command{Cmd: "sleep " + marker + "; true"})
		return err
	})
	after := engine.StepFunc("after", func(context.Context, *engine.Runtime) error {
		return errors.New("a step started after the cancel")
	})
	p := engine.New("cancel", engine.OnlineIndirect).Then(engine.NewModule("m",
		&engine.Task{Name: "t", Hosts: engine.OnRoles("worker"), Steps: []engine.Step{long, after}}))

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		<-started
		waitFor(t, func() bool { return remoteCount(marker) >= 2 })
		cancel()
	}()
	start := time.Now()
	sum, err := p.Run(ctx, engine.RunOptions{Inventory: engine.NewInventory(hosts,
		map[string][]string{"worker": names})})

	if failure.ExitCode(err) != 130 {
		t.Fatalf("err = %v, want interrupted", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the run took %s after cancel; the remote sleep was not ended", d)
	}
	for _, o := range sum.Outcomes {
		if o.Status != engine.StatusStopped || o.Step != "long" {
			t.Errorf("%s: %s at %q, want stopped at long", o.Host, o.Status, o.Step)
		}
	}
	waitFor(t, func() bool { return remoteCount(marker) == 0 })
}

// remoteCount counts the sleep processes of the marker.
func remoteCount(marker string) int {
	out, _ := exec.Command("pgrep", "-x", "-f", "sleep "+marker).Output()
	return len(strings.Fields(string(out)))
}

func waitFor(t *testing.T, cond func() bool) {
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Errorf("condition not met within 20s")
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/host"
	"github.com/kubexm/kubexm/internal/sshtest"
)

// tenSteps is a task of ten steps, each running `true` on its host.
func tenSteps() *engine.Pipeline {
	var steps []engine.Step
	for i := range 10 {
		steps = append(steps, engine.StepFunc(fmt.Sprintf("step %d", i),
			func(ctx context.Context, rt *engine.Runtime) error {
				_, err := rt.Host.Run(ctx, host.Command{Cmd: "true"})
				return err
			}))
	}
	return engine.New("bench", engine.OnlineIndirect).Then(engine.NewModule("m",
		&engine.Task{Name: "t", Hosts: engine.OnRoles("worker"), Steps: steps}))
}

// sshInventory connects to each server once, so that the measured runs
// see the steady state of one multiplexed connection per host. It logs in
// as the non-root test user: root's login shell here reads a heavy rc file
// (pyenv) for every command, which would measure that file instead.
func sshInventory(b *testing.B, servers []*sshtest.Server) engine.Inventory {
	b.Helper()
	hosts := map[string]host.Host{}
	var names []string
	for i, s := range servers {
		name := fmt.Sprintf("node%d", i+1)
		h := host.NewSSH(host.SSHConfig{Name: name, Address: s.Host, Port: s.Port,
			User: s.TestUser, PrivateKeyPath: s.ClientKeyPath,
			HostKeyFingerprint: s.HostKeyFingerprint})
		b.Cleanup(func() { h.Close() })
		if _, err := h.Run(context.Background(), host.Command{Cmd: "true"}); err != nil {
			b.Fatal(err)
		}
		hosts[name] = h
		names = append(names, name)
	}
	return engine.NewInventory(hosts, map[string][]string{"worker": names})
}

// BenchmarkTaskOverSSHHosts runs a 10-step task on 1 host and on 50 hosts
// (50 real sshd on loopback) and reports the wall-time ratio: how much
// longer fifty hosts take than one. On an ideal machine it is 1; the
// engine's own share is in BenchmarkEngineOnly.
func BenchmarkTaskOverSSHHosts(b *testing.B) {
	servers := sshtest.StartMany(b, 50, sshtest.Options{TestUser: true})
	one, fifty := sshInventory(b, servers[:1]), sshInventory(b, servers)
	p := tenSteps()

	var t1, t50 time.Duration
	b.ResetTimer()
	for range b.N {
		t1 += timeRun(b, p, one)
		t50 += timeRun(b, p, fifty)
	}
	n := time.Duration(b.N)
	b.ReportMetric(float64(t1/n)/1e6, "ms/1-host")
	b.ReportMetric(float64(t50/n)/1e6, "ms/50-hosts")
	b.ReportMetric(float64(t50)/float64(t1), "ratio-50:1")
}

func timeRun(b *testing.B, p *engine.Pipeline, inv engine.Inventory) time.Duration {
	start := time.Now()
	if _, err := p.Run(context.Background(), engine.RunOptions{Inventory: inv}); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// nopHost is a host whose commands do nothing, to measure the engine alone.
type nopHost struct{ host.Host }

func (nopHost) Name() string { return "nop" }
func (nopHost) Run(context.Context, host.Command) (host.Result, error) {
	return host.Result{}, nil
}

// BenchmarkEngineOnly is the engine's own cost of a 10-step task on 50
// hosts whose commands return at once: scheduling, events, outcomes.
func BenchmarkEngineOnly(b *testing.B) {
	hosts := map[string]host.Host{}
	var names []string
	for i := range 50 {
		name := fmt.Sprintf("node%d", i+1)
		hosts[name], names = nopHost{}, append(names, name)
	}
	inv := engine.NewInventory(hosts, map[string][]string{"worker": names})
	p := tenSteps()
	b.ReportAllocs()
	for range b.N {
		if _, err := p.Run(context.Background(), engine.RunOptions{Inventory: inv}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/step")
}

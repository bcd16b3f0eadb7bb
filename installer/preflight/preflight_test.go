package preflight

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/failure"
	"github.com/kubexm/kubexm/internal/host"
	"github.com/kubexm/kubexm/internal/sshtest"
)

// run runs the preflight module against the given hosts: node1 as root by
// key, node2 as the non-root test user by password (through sudo).
func run(t *testing.T, opts Options, cfgs ...host.SSHConfig) (*Report, error) {
	t.Helper()
	hosts := map[string]host.Host{engine.Control: host.NewLocal()}
	roles := map[string][]string{}
	for _, tgt := range opts.Targets {
		for _, r := range tgt.Roles {
			roles[r] = append(roles[r], tgt.Name)
		}
	}
	for _, cfg := range cfgs {
		h := host.NewSSH(cfg)
		t.Cleanup(func() { h.Close() })
		hosts[cfg.Name] = h
	}
	mod, rep := NewModule(opts)
	p := engine.New("preflight", engine.OnlineDirect).Then(mod)
	_, err := p.Run(context.Background(), engine.RunOptions{
		Inventory: engine.NewInventory(hosts, roles)})
	return rep, err
}

func rootConfig(s *sshtest.Server, name string) host.SSHConfig {
	return host.SSHConfig{Name: name, Address: s.Host, Port: s.Port, User: s.User,
		PrivateKeyPath: s.ClientKeyPath, HostKeyFingerprint: s.HostKeyFingerprint}
}

// verdicts returns "check=verdict" for the host's results.
func verdicts(rep *Report, hostName string) map[string]Verdict {
	out := map[string]Verdict{}
	for _, r := range rep.Results() {
		if r.Host == hostName {
			out[r.Check] = r.Verdict
		}
	}
	return out
}

func detail(rep *Report, hostName, check string) string {
	for _, r := range rep.Results() {
		if r.Host == hostName && r.Check == check {
			return r.Detail
		}
	}
	return ""
}

func TestPreflightAgainstRealSSHD(t *testing.T) {
	servers := sshtest.StartMany(t, 2, sshtest.Options{TestUser: true})
	node2 := rootConfig(servers[1], "node2")
	node2.User, node2.Password, node2.PrivateKeyPath = servers[1].TestUser,
		servers[1].TestPassword, ""

	// A port the registry role needs, taken on purpose.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port

	opts := Options{
		Targets: []Target{
			{Name: "node1", Arch: "amd64", Roles: []string{RoleWorker}},
			{Name: "node2", Arch: "arm64", Roles: []string{RoleWorker, RoleRegistry}},
		},
		RegistryPort: port,
	}
	rep, err := run(t, opts, rootConfig(servers[0], "node1"), node2)

	// Both hosts are this machine: they share a hostname, which must fail
	// the run whatever else this machine is like.
	if failure.ExitCode(err) != 5 || !strings.Contains(err.Error(), "check(s) failed") {
		t.Fatalf("err = %v, want the verdict to fail (exit 5)", err)
	}
	v1, v2 := verdicts(rep, "node1"), verdicts(rep, "node2")
	for check, want := range map[string]Verdict{"reachable": Pass, "arch": Pass, "sudo": Pass,
		"ports free": Pass, "clock": Pass, "clock agrees": Pass, "hostname unique": Fail} {
		if v1[check] != want {
			t.Errorf("node1 %s = %s (%s), want %s", check, v1[check], detail(rep, "node1", check),
				want)
		}
	}
	for check, want := range map[string]Verdict{"reachable": Pass, "sudo": Pass,
		"arch": Fail, "ports free": Fail, "hostname unique": Fail} {
		if v2[check] != want {
			t.Errorf("node2 %s = %s (%s), want %s", check, v2[check], detail(rep, "node2", check),
				want)
		}
	}
	if d := detail(rep, "node2", "ports free"); d != fmt.Sprintf("port(s) %d already in use", port) {
		t.Errorf("node2 ports free: %q, want the taken port named", d)
	}
	if d := detail(rep, "node1", "hostname unique"); !strings.Contains(d, "shared by node1, node2") {
		t.Errorf("node1 hostname unique: %q, want both hosts named", d)
	}

	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"host node1", "host node2", "CHECK", "ports free"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if strings.Contains(table.String(), servers[1].TestPassword) {
		t.Errorf("table shows the sudo password:\n%s", table.String())
	}
}

func TestPreflightUnreachableAndWrongHostKey(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()

	wrongKey := rootConfig(s, "node2")
	wrongKey.HostKeyFingerprint = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	dead := host.SSHConfig{Name: "node3", Address: "127.0.0.1", Port: deadPort, User: "root",
		PrivateKeyPath: s.ClientKeyPath, HostKeyFingerprint: s.HostKeyFingerprint}
	opts := Options{Targets: []Target{
		{Name: "node1", Roles: []string{RoleWorker}},
		{Name: "node2", Roles: []string{RoleWorker}},
		{Name: "node3", Roles: []string{RoleWorker}},
	}}

	rep, err := run(t, opts, rootConfig(s, "node1"), wrongKey, dead)
	if failure.ExitCode(err) != 4 {
		t.Fatalf("err = %v (exit %d), want unreachable (4)", err, failure.ExitCode(err))
	}
	if v := verdicts(rep, "node1")["os supported"]; v == "" {
		t.Errorf("node1 was not checked: one bad host must not hide the others")
	}
	if v := verdicts(rep, "node1")["clock agrees"]; v == "" {
		t.Errorf("the reachable hosts were not compared with each other")
	}
	if d := detail(rep, "node2", "reachable"); !strings.Contains(d, "node2") ||
		!strings.Contains(d, s.HostKeyFingerprint) {
		t.Errorf("node2 reachable: %q, want the host and the presented key named", d)
	}
	if d := detail(rep, "node3", "reachable"); !strings.Contains(d, "unreachable") ||
		!strings.Contains(d, "node3") {
		t.Errorf("node3 reachable: %q, want it unreachable and named", d)
	}
}

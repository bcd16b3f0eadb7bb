package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kubexm/kubexm/internal/cli/clitest"
	"github.com/kubexm/kubexm/internal/sshtest"
)

// execute runs root with args as main would.
func execute(t *testing.T, root *cobra.Command, args ...string) (int, string, string) {
	t.Helper()
	return clitest.Run(t, ExecuteContext, root, args...)
}

var (
	clusterYAML = clitest.ClusterYAML
	writeConfig = clitest.WriteConfig
)

// kubexm runs the kubexm command with args and returns its exit code,
// standard output and standard error.
func kubexm(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return execute(t, NewKubexm(), args...)
}

// sshHost is the hosts entry of a config for s, logging in as root by key.
func sshHost(name string, s *sshtest.Server) string {
	return fmt.Sprintf("    - name: %s\n      address: %s\n      port: %d\n      user: %s\n"+
		"      privateKeyPath: %s\n      hostKeyFingerprint: %q\n", name, s.Host, s.Port, s.User,
		s.ClientKeyPath, s.HostKeyFingerprint)
}

func TestPreflightCommandAgainstRealSSHD(t *testing.T) {
	servers := sshtest.StartMany(t, 2, sshtest.Options{TestUser: true})
	// Both hosts are on 127.0.0.1; their internal addresses must differ.
	sudoUser := fmt.Sprintf("    - name: node2\n      address: %s\n      port: %d\n"+
		"      internalAddress: 127.0.0.2\n"+
		"      user: %s\n      password: %q\n      hostKeyFingerprint: %q\n",
		servers[1].Host, servers[1].Port, servers[1].TestUser, servers[1].TestPassword,
		servers[1].HostKeyFingerprint)
	cfg := writeConfig(t, clusterYAML(sshHost("node1", servers[0]), sudoUser))
	work := filepath.Join(t.TempDir(), ".kubexm")

	code, stdout, stderr := kubexm(t, "preflight", "-f", cfg, "--workdir", work)

	// Two hosts on one machine share its hostname: the verdict must fail.
	if code != 5 {
		t.Fatalf("exit code %d, want 5 (step failed)\nstdout:\n%s\nstderr:\n%s", code, stdout,
			stderr)
	}
	for _, want := range []string{"host node1", "host node2", "hostname unique", "sudo"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "check(s) failed") || !strings.Contains(stderr, "what ran:") {
		t.Errorf("stderr lacks the verdict and the summary:\n%s", stderr)
	}

	logs, _ := filepath.Glob(filepath.Join(work, "logs", "*.log"))
	if len(logs) != 1 {
		t.Fatalf("want one run log in %s, found %v", work, logs)
	}
	if !strings.Contains(stderr, logs[0]) {
		t.Errorf("stderr does not say where the log is (%s):\n%s", logs[0], stderr)
	}
	log, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"command host=node2", "command host=node1", "$ id -u",
		"event step-done"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("run log lacks %q", want)
		}
	}
	if strings.Contains(string(log)+stdout+stderr, servers[1].TestPassword) {
		t.Errorf("the sudo password appears in the output or the run log")
	}
}

func TestPreflightJSONLines(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	cfg := writeConfig(t, clusterYAML(sshHost("node1", s)))
	code, stdout, _ := kubexm(t, "preflight", "-f", cfg, "--workdir", t.TempDir(), "-o", "json")

	kinds := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		var line struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		kinds[line.Kind]++
	}
	for _, k := range []string{"pipeline-start", "step-done", "preflight", "summary"} {
		if kinds[k] == 0 {
			t.Errorf("no %q line in the JSON output (exit %d):\n%s", k, code, stdout)
		}
	}
}

func TestPreflightDryRunTouchesNoHost(t *testing.T) {
	// Nothing listens on this port: a dry run that dialled would fail.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	host := fmt.Sprintf("    - name: node1\n      address: 127.0.0.1\n      port: %d\n"+
		"      password: secret-pw\n", port)
	cfg := writeConfig(t, clusterYAML(host))
	work := filepath.Join(t.TempDir(), ".kubexm")

	code, stdout, stderr := kubexm(t, "preflight", "-f", cfg, "--dry-run", "--workdir", work)
	if code != 0 {
		t.Fatalf("exit %d, want 0: %s", code, stderr)
	}
	for _, want := range []string{"pipeline preflight (online+direct)", "task check hosts  on node1",
		"- ports free"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "secret-pw") {
		t.Errorf("the plan shows a password")
	}
	if _, err := os.Stat(work); !os.IsNotExist(err) {
		t.Errorf("a dry run wrote %s", work)
	}

	code, stdout, _ = kubexm(t, "preflight", "-f", cfg, "--dry-run", "-o", "json")
	var plan struct {
		Pipeline string `json:"pipeline"`
		Mode     string `json:"mode"`
	}
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil || code != 0 {
		t.Fatalf("JSON plan: exit %d, %v:\n%s", code, err, stdout)
	}
	if plan.Pipeline != "preflight" || plan.Mode != "online+direct" {
		t.Errorf("JSON plan = %+v", plan)
	}
}

func TestExitCodes(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := fmt.Sprintf("    - name: node1\n      address: 127.0.0.1\n      port: %d\n"+
		"      password: pw\n", closed.Addr().(*net.TCPAddr).Port)
	closed.Close()
	good := writeConfig(t, clusterYAML(dead))
	bad := writeConfig(t, strings.Replace(clusterYAML(dead), "address:", "adress:", 1))

	tests := []struct {
		name    string
		args    []string
		code    int
		wantErr string
	}{
		{name: "unknown command", args: []string{"bogus"}, code: 2,
			wantErr: `unknown command "bogus"`},
		{name: "unknown flag", args: []string{"preflight", "--bogus"}, code: 2,
			wantErr: "unknown flag: --bogus"},
		{name: "missing config flag", args: []string{"preflight"}, code: 2,
			wantErr: `required flag(s) "file" not set`},
		{name: "offline and direct", args: []string{"preflight", "-f", good, "--mode", "offline",
			"--via", "direct"}, code: 2, wantErr: "offline mode always runs on the target hosts"},
		{name: "bad output", args: []string{"preflight", "-f", good, "-o", "yaml"}, code: 2,
			wantErr: `--output "yaml": want text or json`},
		{name: "unknown config field", args: []string{"config", "validate", "-f", bad}, code: 3,
			wantErr: `unknown field "adress"`},
		{name: "missing config file", args: []string{"preflight", "-f", "/nonexistent.yaml"},
			code: 3, wantErr: "/nonexistent.yaml"},
		{name: "unreachable host", args: []string{"preflight", "-f", good, "--workdir",
			t.TempDir()}, code: 4, wantErr: "node1"},
		{name: "valid config", args: []string{"config", "validate", "-f", good}, code: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := kubexm(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code,
					tt.wantErr)
			}
		})
	}
}

func TestConfigExampleValidatesAndSchemaIsJSON(t *testing.T) {
	code, example, _ := kubexm(t, "config", "example")
	if code != 0 || !strings.Contains(example, "kind: Cluster") {
		t.Fatalf("config example: exit %d:\n%s", code, example)
	}
	if code, _, stderr := kubexm(t, "config", "validate", "-f", writeConfig(t, example)); code != 0 {
		t.Errorf("the example does not validate: %s", stderr)
	}

	code, schema, _ := kubexm(t, "config", "schema")
	var v map[string]any
	if err := json.Unmarshal([]byte(schema), &v); err != nil || code != 0 {
		t.Errorf("config schema: exit %d, %v", code, err)
	}
}

func TestVersion(t *testing.T) {
	for _, root := range []*cobra.Command{NewKubexm()} {
		code, out, _ := execute(t, root, "version")
		if code != 0 || !strings.Contains(out, root.Name()+" ") || !strings.Contains(out, "go1.") {
			t.Errorf("%s version: exit %d, %q", root.Name(), code, out)
		}
	}
}

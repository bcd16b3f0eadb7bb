package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/kubexm/kubexm/internal/failure"
)

// minimal is the smallest valid config the tests start from. The invalid
// cases edit it, so its line numbers matter: host node1 starts on line 7,
// roleGroups on line 16.
const minimal = `apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata:
  name: test
spec:
  hosts:
    - name: node1
      address: 10.0.0.1
      password: secret-one
    - name: node2
      address: 10.0.0.2
      privateKeyPath: /root/.ssh/id_ed25519
    - name: node3
      address: 10.0.0.3
      password: secret-three
  roleGroups:
    controlPlane: [node1]
    worker: [node2, node3]
`

// mustParse parses a config the test expects to be valid.
func mustParse(t *testing.T, data string) *Cluster {
	t.Helper()
	c, err := Parse([]byte(data), "c.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

// fieldErrors returns the lines of a Parse error, checking that it is marked
// failure.Config and wraps ValidationErrors.
func fieldErrors(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		t.Fatal("Parse succeeded, want an error")
	}
	if !failure.Is(err, failure.Config) {
		t.Errorf("error is not marked failure.Config: %v", err)
	}
	var verrs ValidationErrors
	if !errors.As(err, &verrs) {
		t.Fatalf("error does not wrap ValidationErrors: %v", err)
	}
	if got := strings.Join(linesOf(verrs), "\n"); got != err.Error() {
		t.Errorf("Error() = %q, want the field errors one per line", err.Error())
	}
	return linesOf(verrs)
}

func linesOf(errs ValidationErrors) []string {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return lines
}

func TestParseMinimal(t *testing.T) {
	c := mustParse(t, minimal)

	if got := len(c.Spec.Hosts); got != 3 {
		t.Fatalf("%d hosts, want 3", got)
	}
	if c.Metadata.Name != "test" {
		t.Errorf("metadata.name = %q", c.Metadata.Name)
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatalf("Load: %v", err)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(minimal, "address: 10.0.0.1",
		"adress: 10.0.0.1", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bad)
	want := bad + `:8: unknown field "adress" in spec.hosts[0]`
	if diff := cmp.Diff([]string{want}, fieldErrors(t, err)); diff != "" {
		t.Errorf("Load(bad) errors (-want +got):\n%s", diff)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !failure.Is(err, failure.Config) {
		t.Fatalf("Load of a missing file = %v, want a failure.Config error", err)
	}
	if !strings.Contains(err.Error(), "nope.yaml") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %q should name the file and wrap os.ErrNotExist", err)
	}
}

func TestExampleLoadsAndValidates(t *testing.T) {
	c := mustParse(t, string(Example()))

	if got := len(c.HostsInRole(RoleControlPlane)); got != 3 {
		t.Errorf("example has %d control-plane hosts, want 3", got)
	}
	if c.Spec.Network.Plugin != NetworkCalico || c.Spec.Kubernetes.KubeProxyMode != "ipvs" {
		t.Error("example should show non-default choices (calico, ipvs)")
	}
}

// TestExampleRoundTrip writes the loaded example out and reads it back: the
// effective config must survive, so what kubexm prints it can load.
func TestExampleRoundTrip(t *testing.T) {
	c := mustParse(t, string(Example()))

	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	again := mustParse(t, string(out))

	if diff := cmp.Diff(c, again); diff != "" {
		t.Errorf("round trip changed the config (-first +second):\n%s", diff)
	}
	if c.Hash() != again.Hash() {
		t.Error("round trip changed the hash")
	}
}

func TestExampleIsAFreshCopy(t *testing.T) {
	a := Example()
	a[0] = '!'
	if Example()[0] == '!' {
		t.Fatal("a change to Example's result shows in the next call")
	}
}

// Package clitest helps the tests of kubexm's command lines: it runs a
// command as main would and writes the configs they read. It does not
// import package cli, whose own tests use it too; the caller passes the
// function that runs a command (cli.ExecuteContext).
package clitest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Run runs root with args through exec and returns the exit code,
// standard output and standard error.
func Run(t testing.TB, exec func(context.Context, *cobra.Command) int, root *cobra.Command,
	args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	root.SetArgs(args)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	code := exec(context.Background(), root)
	return code, stdout.String(), stderr.String()
}

// ClusterYAML is a config of the given hosts (each a "    - name: ..."
// block): the first is the control plane and etcd, every one a worker.
func ClusterYAML(hosts ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: kubexm.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: test\n" +
		"spec:\n  hosts:\n")
	var names []string
	for _, h := range hosts {
		b.WriteString(h)
		names = append(names, strings.Fields(h)[2])
	}
	fmt.Fprintf(&b, "  roleGroups:\n    etcd: [%s]\n    controlPlane: [%s]\n    worker: [%s]\n",
		names[0], names[0], strings.Join(names, ", "))
	return b.String()
}

// WriteConfig writes yaml to a cluster.yaml of the test's and returns its
// path. The mode is 0600, as a file holding passwords should be.
func WriteConfig(t testing.TB, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

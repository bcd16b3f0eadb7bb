package buildercmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/cli"
	"github.com/kubexm/kubexm/internal/cli/clitest"
)

// execute runs root with args as main would.
func execute(t *testing.T, root *cobra.Command, args ...string) (int, string, string) {
	t.Helper()
	return clitest.Run(t, cli.ExecuteContext, root, args...)
}

var (
	clusterYAML = clitest.ClusterYAML
	writeConfig = clitest.WriteConfig
)

func TestVersion(t *testing.T) {
	code, out, _ := execute(t, NewBuilder(), "version")
	if code != 0 || !strings.Contains(out, "kubexm-builder ") || !strings.Contains(out, "go1.") {
		t.Errorf("kubexm-builder version: exit %d, %q", code, out)
	}
}

func TestMakeTarFlags(t *testing.T) {
	code, out, _ := execute(t, NewBuilder(), "make-tar", "--help")
	for _, flag := range []string{"-f, --file", "--format", "-o, --output"} {
		if code != 0 || !strings.Contains(out, flag) {
			t.Errorf("make-tar --help lacks %q (exit %d):\n%s", flag, code, out)
		}
	}
	code, _, stderr := execute(t, NewBuilder(), "make-tar", "-f", "x.yaml", "--format", "zip")
	if want := `--format "zip": want tar or iso`; code != 2 || !strings.Contains(stderr, want) {
		t.Errorf("make-tar --format zip: exit %d, %q; want 2 with %q", code, stderr, want)
	}
}

func TestBuilderVerify(t *testing.T) {
	dir := filepath.Join(t.TempDir(), bundle.Dir)
	if err := os.MkdirAll(filepath.Join(dir, "tool/v1/amd64"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tool/v1/amd64/tool"), []byte("hi"), 0o755); err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(t.TempDir(), "kubexm.tar.gz")
	if err := bundle.Pack(context.Background(), dir, tarball, bundle.PackOptions{}); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := execute(t, NewBuilder(), "verify", tarball)
	if code != 0 || !strings.Contains(out, "1 files, 2 bytes, all match the manifest") {
		t.Errorf("verify: exit %d, %q %q", code, out, stderr)
	}

	data, _ := os.ReadFile(tarball)
	if err := os.WriteFile(tarball, data[:len(data)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = execute(t, NewBuilder(), "verify", tarball)
	if code != 5 || !strings.Contains(stderr, tarball) {
		t.Errorf("verify of a cut bundle: exit %d, %q; want 5 and the bundle named", code, stderr)
	}
}

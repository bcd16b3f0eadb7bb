package installer

import (
	"os/exec"
	"strings"
	"testing"
)

// The installer runs on the seed from the initramfs: it must not link the
// builder (helm, the registry and ISO libraries, the embedded initramfs),
// which makes the base several times larger and whose init functions once
// crashed the boot.
func TestInstallerDoesNotLinkTheBuilder(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command to list the installer's packages: %v", err)
	}
	out, err := exec.Command(gobin, "list", "-deps", "github.com/kubexm/kubexm/cmd/kubexm-installer").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	banned := []string{"github.com/kubexm/kubexm/builder", "github.com/kubexm/kubexm/rootfs",
		"github.com/kubexm/kubexm/internal/cli/buildercmd", "helm.sh/helm", "github.com/diskfs"}
	for _, dep := range strings.Fields(string(out)) {
		for _, b := range banned {
			if dep == b || strings.HasPrefix(dep, b+"/") {
				t.Errorf("the installer links %s", dep)
			}
		}
	}
}

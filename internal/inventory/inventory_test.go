package inventory

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kubexm/kubexm/internal/config"
	"github.com/kubexm/kubexm/internal/engine"
)

func TestInventoryFromTheExampleConfig(t *testing.T) {
	c, err := config.Parse(config.Example(), "example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer inv.Close()

	if got := inv.Members(config.RoleWorker); !slices.Equal(got, []string{"worker1", "worker2"}) {
		t.Errorf("workers = %v", got)
	}
	for _, name := range []string{engine.Control, "cp1", "worker2"} {
		if h, err := inv.Host(name); err != nil || h.Name() != name {
			t.Errorf("Host(%q) = %v, %v", name, h, err)
		}
	}

	w1, _ := c.Host("worker1")
	cfg, err := sshConfig(c, w1, Options{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.JumpHost == nil || cfg.JumpHost.Name != "cp1" {
		t.Errorf("worker1's jump host = %+v, want cp1", cfg.JumpHost)
	}
	home, _ := os.UserHomeDir()
	if want := filepath.Join(home, ".ssh/id_ed25519"); cfg.JumpHost.PrivateKeyPath != want {
		t.Errorf("cp1's key = %q, want ~ expanded to %q", cfg.JumpHost.PrivateKeyPath, want)
	}
}

// Package inventory turns a cluster config into the engine's inventory: an
// SSH host per config host, the control machine, and the role groups.
package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubexm/kubexm/internal/config"
	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/failure"
	"github.com/kubexm/kubexm/internal/host"
)

// Options say how kubexm reaches the hosts, beyond what the config says.
type Options struct {
	// KnownHostsPath is the known_hosts file for hosts without a pinned
	// fingerprint. The default is ~/.ssh/known_hosts.
	KnownHostsPath string
	// TrustOnFirstUse accepts and records host keys not seen before.
	TrustOnFirstUse bool
	// HostOptions apply to every host, the control machine included (a
	// recorder for the run log, for example).
	HostOptions []host.Option
}

// Inventory is the engine inventory of a cluster, with the hosts to close
// when the run ends.
type Inventory struct {
	*engine.StaticInventory
	hosts []host.Host
}

// New returns the inventory of c. No host is dialled.
func New(c *config.Cluster, opts Options) (*Inventory, error) {
	local := host.NewLocal(append([]host.Option{host.WithSecrets(c.Secrets()...)},
		opts.HostOptions...)...)
	hosts := map[string]host.Host{engine.Control: local}
	inv := &Inventory{hosts: []host.Host{hosts[engine.Control]}}
	for _, h := range c.Spec.Hosts {
		cfg, err := sshConfig(c, h, opts, 0)
		if err != nil {
			return nil, failure.Wrap(failure.Config, err)
		}
		hostOpts := append([]host.Option{host.WithSecrets(c.Secrets()...)}, opts.HostOptions...)
		hosts[h.Name] = host.NewSSH(cfg, hostOpts...)
		inv.hosts = append(inv.hosts, hosts[h.Name])
	}

	roles := map[string][]string{}
	for _, role := range config.AllRoles {
		for _, h := range c.HostsInRole(role) {
			roles[role] = append(roles[role], h.Name)
		}
	}
	inv.StaticInventory = engine.NewInventory(hosts, roles)
	return inv, nil
}

// ControlOnly returns an inventory of the control machine alone, for
// pipelines that touch no target host (make-tar).
func ControlOnly(opts Options) *Inventory {
	local := host.NewLocal(opts.HostOptions...)
	return &Inventory{
		StaticInventory: engine.NewInventory(map[string]host.Host{engine.Control: local}, nil),
		hosts:           []host.Host{local},
	}
}

// maxJumps bounds a chain of jump hosts; the config's validation refuses
// cycles, this keeps a bad config from recursing forever all the same.
const maxJumps = 5

// sshConfig is how to reach config host h, through its jump host if any.
func sshConfig(c *config.Cluster, h config.Host, opts Options, depth int) (host.SSHConfig, error) {
	cfg := host.SSHConfig{
		Name:                 h.Name,
		Address:              h.Address,
		Port:                 h.Port,
		User:                 h.User,
		Password:             h.Password,
		PrivateKeyPath:       expandHome(h.PrivateKeyPath),
		PrivateKeyPassphrase: h.PrivateKeyPassphrase,
		HostKeyFingerprint:   h.HostKeyFingerprint,
		KnownHostsPath:       opts.KnownHostsPath,
		TrustOnFirstUse:      opts.TrustOnFirstUse,
	}
	if h.JumpHost == "" {
		return cfg, nil
	}
	if depth >= maxJumps {
		return cfg, fmt.Errorf("host %s: more than %d jump hosts in a chain", h.Name, maxJumps)
	}
	jh, ok := c.Host(h.JumpHost)
	if !ok {
		return cfg, fmt.Errorf("host %s: jump host %q is not in spec.hosts", h.Name, h.JumpHost)
	}
	jump, err := sshConfig(c, jh, opts, depth+1)
	if err != nil {
		return cfg, err
	}
	cfg.JumpHost = &jump
	return cfg, nil
}

// expandHome resolves a leading ~/ to the home directory, as a shell would
// for the paths operators copy from their ssh commands.
func expandHome(path string) string {
	rest, ok := strings.CutPrefix(path, "~/")
	if !ok {
		return path
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return path // the key's open error will name the path as written
	}
	return filepath.Join(home, rest)
}

// Close closes every host's connection.
func (inv *Inventory) Close() {
	for _, h := range inv.hosts {
		_ = h.Close() // nothing to do about a connection that will not close
	}
}

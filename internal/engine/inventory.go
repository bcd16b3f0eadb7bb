package engine

import (
	"fmt"
	"slices"

	"github.com/kubexm/kubexm/internal/host"
)

// Inventory is the set of hosts a pipeline may run on. Looking a host up
// does not connect to it: a Host dials when a step first uses it, so a plan
// can be made without touching any host.
type Inventory interface {
	// Members returns the names of the hosts in role, in config order.
	Members(role string) []string
	// Host returns the host of that name, or the control machine for
	// Control.
	Host(name string) (host.Host, error)
}

// StaticInventory is an Inventory over a fixed set of hosts.
type StaticInventory struct {
	hosts map[string]host.Host
	roles map[string][]string
}

// NewInventory returns an inventory of hosts (keyed by name, the control
// machine under Control) and role memberships.
func NewInventory(hosts map[string]host.Host, roles map[string][]string) *StaticInventory {
	return &StaticInventory{hosts: hosts, roles: roles}
}

// Members returns the names of the hosts in role.
func (inv *StaticInventory) Members(role string) []string {
	return slices.Clone(inv.roles[role])
}

// Host returns the host named name.
func (inv *StaticInventory) Host(name string) (host.Host, error) {
	h, ok := inv.hosts[name]
	if !ok {
		return nil, fmt.Errorf("no host named %q in the inventory", name)
	}
	return h, nil
}

// resolve returns the names of the hosts sel chooses from inv: each once,
// in the order the roles list them.
func (sel Selector) resolve(inv Inventory) []string {
	if sel.Control {
		return []string{Control}
	}
	var names []string
	for _, role := range sel.Roles {
		for _, n := range inv.Members(role) {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

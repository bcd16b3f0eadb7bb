package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubexm/kubexm/profiles"
)

func TestHostsInRoleAndRoles(t *testing.T) {
	c := mustParse(t, string(Example()))

	names := func(hosts []Host) []string {
		var out []string
		for _, h := range hosts {
			out = append(out, h.Name)
		}
		return out
	}
	tests := []struct {
		role string
		want []string
	}{
		{RoleEtcd, []string{"cp1", "cp2", "cp3"}},
		{RoleControlPlane, []string{"cp1", "cp2", "cp3"}},
		{RoleWorker, []string{"worker1", "worker2"}},
		{RoleRegistry, []string{"cp1"}},
		{"nonsense", nil},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, names(c.HostsInRole(tt.role))); diff != "" {
				t.Errorf("HostsInRole (-want +got):\n%s", diff)
			}
		})
	}

	if diff := cmp.Diff([]string{RoleEtcd, RoleControlPlane, RoleRegistry}, c.Roles("cp1")); diff != "" {
		t.Errorf("Roles(cp1) (-want +got):\n%s", diff)
	}
	if got := c.Roles("nobody"); got != nil {
		t.Errorf("Roles(nobody) = %v, want none", got)
	}
}

func TestHostsInRoleReturnsCopies(t *testing.T) {
	c := mustParse(t, minimal)
	c.HostsInRole(RoleControlPlane)[0].Address = "changed"

	if h, _ := c.Host("node1"); h.Address != "10.0.0.1" {
		t.Fatal("changing a host from HostsInRole changed the config")
	}
}

func TestSecrets(t *testing.T) {
	data := withSpec("  registry:\n    host: node1\n    auth:\n      username: admin\n" +
		"      password: reg-pass\n" +
		"  containerRuntime:\n    registryMirrors:\n" +
		"      docker.io: ['https://u:mirror-pass@mirror.example']\n" +
		"  artifacts:\n    sources:\n      binaries:\n" +
		"        helm: 'https://me:src-pass@mirror.example/helm'\n")
	data = strings.Replace(data, "privateKeyPath: /root/.ssh/id_ed25519",
		"privateKeyPath: /root/.ssh/id_ed25519\n      privateKeyPassphrase: key-pass\n"+
			"      password: secret-one", 1)
	c := mustParse(t, data)

	got := c.Secrets()
	slices.Sort(got)
	want := []string{"key-pass", "mirror-pass", "reg-pass", "secret-one", "secret-three", "src-pass"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Secrets (-want +got):\n%s", diff)
	}
}

func TestHash(t *testing.T) {
	base := mustParse(t, minimal)

	tests := []struct {
		name string
		yaml string
		same bool
	}{
		{name: "same config", yaml: minimal, same: true},
		{name: "defaults written out", same: true,
			yaml: withSpec("  kubernetes:\n    version: v1.37.2\n    podSubnet: 10.233.64.0/18\n")},
		{name: "comments and layout", same: true,
			yaml: "# a comment\n" + strings.ReplaceAll(minimal, "[node2, node3]", "\n      - node2\n      - node3")},
		{name: "another version", yaml: withSpec("  kubernetes:\n    version: v1.37.1\n")},
		{name: "another password", yaml: strings.Replace(minimal, "secret-one", "secret-two", 1)},
		{name: "chart values", yaml: withSpec("  addons:\n    - name: a\n      repo: https://c.example\n" +
			"      version: 1.0.0\n      values: {replicas: 2}\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.yaml)
			if got := c.Hash() == base.Hash(); got != tt.same {
				t.Errorf("hash equal = %v, want %v", got, tt.same)
			}
		})
	}

	if h := base.Hash(); len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Errorf("Hash() = %q, want 64 hex digits", h)
	}
}

// TestProfilePackageRolesAreConfigRoles keeps the profile's package lists
// keyed by the roles this package defines.
func TestProfilePackageRolesAreConfigRoles(t *testing.T) {
	prof, err := profiles.Default()
	if err != nil {
		t.Fatal(err)
	}
	for key := range prof.Packages {
		if key != profiles.PackagesForAll && !slices.Contains(AllRoles, key) {
			t.Errorf("profile packages key %q is not a role of the config", key)
		}
	}
	for _, role := range AllRoles {
		if _, ok := prof.Packages[role]; !ok {
			t.Errorf("profile has no package list for role %s", role)
		}
	}
}

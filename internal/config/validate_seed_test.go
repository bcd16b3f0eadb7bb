package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// withSeed is the minimal config with a spec.seed section of the given
// indented lines.
func withSeed(lines string) string {
	return minimal + "  seed:\n" + lines
}

func TestSeedValid(t *testing.T) {
	tests := []struct {
		name string
		seed string
		dhcp bool
	}{
		{name: "left out", seed: "", dhcp: true},
		{name: "dhcp on a named interface", seed: "    interface: enp1s0\n", dhcp: true},
		{name: "static", seed: "    address: 10.0.0.5/24\n    gateway: 10.0.0.254\n" +
			"    dns: [10.0.0.2, 'fd00::53']\n    trustOnFirstUse: true\n"},
		{name: "point to point", seed: "    address: 10.0.9.0/31\n"},
		{name: "ipv6", seed: "    address: fd00::5/64\n    gateway: fd00::1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := minimal
			if tt.seed != "" {
				src = withSeed(tt.seed)
			}
			c := mustParse(t, src)
			if got := c.Spec.Seed.DHCP(); got != tt.dhcp {
				t.Errorf("DHCP() = %v, want %v", got, tt.dhcp)
			}
		})
	}
}

func TestSeedInvalidNamesTheField(t *testing.T) {
	tests := []struct {
		name string
		seed string
		want []string
	}{
		{name: "not a CIDR", seed: "    address: 10.0.0.5\n",
			want: []string{`c.yaml:20: spec.seed.address: "10.0.0.5" is not an address ` +
				"with its prefix length, like 10.0.0.5/24"}},
		{name: "subnet address", seed: "    address: 10.0.0.0/24\n",
			want: []string{"c.yaml:20: spec.seed.address: 10.0.0.0/24 is the subnet's " +
				"own address, not a host's"}},
		{name: "a host's address", seed: "    address: 10.0.0.2/24\n",
			want: []string{"c.yaml:20: spec.seed.address: 10.0.0.2 is already the address " +
				"of spec.hosts[1]"}},
		{name: "gateway off the subnet", seed: "    address: 10.0.0.5/24\n" +
			"    gateway: 10.1.0.1\n",
			want: []string{"c.yaml:21: spec.seed.gateway: 10.1.0.1 is not on the seed's " +
				"subnet 10.0.0.0/24"}},
		{name: "gateway is the seed", seed: "    address: 10.0.0.5/24\n" +
			"    gateway: 10.0.0.5\n",
			want: []string{"c.yaml:21: spec.seed.gateway: 10.0.0.5 is the seed's own address"}},
		{name: "gateway and dns without address", seed: "    gateway: 10.0.0.1\n" +
			"    dns: [10.0.0.2]\n",
			want: []string{
				"c.yaml:20: spec.seed.gateway: is set but address is not: with DHCP the " +
					"gateway comes from the DHCP server",
				"c.yaml:21: spec.seed.dns: is set but address is not: with DHCP the name " +
					"servers come from the DHCP server",
			}},
		{name: "bad dns and interface", seed: "    interface: eth0/1\n" +
			"    address: 10.0.0.5/24\n    dns: [10.0.0.2, ns1.example]\n",
			want: []string{
				`c.yaml:20: spec.seed.interface: "eth0/1" is not an interface name ` +
					"(1-15 characters, no '/', ':' or spaces)",
				`c.yaml:22: spec.seed.dns[1]: "ns1.example" is not an IP address`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(withSeed(tt.seed)), "c.yaml")
			var errs ValidationErrors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse error %v is not ValidationErrors", err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSeedLeftOutKeepsTheHash checks that configs without a seed section
// hash as before it existed, so their resume records stay valid.
func TestSeedLeftOutKeepsTheHash(t *testing.T) {
	out, err := yaml.Marshal(mustParse(t, minimal))
	if err != nil {
		t.Fatal(err)
	}
	if data := string(out); strings.Contains(data, "seed") {
		t.Errorf("a config without spec.seed renders one:\n%s", data)
	}
}

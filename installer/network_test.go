package installer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubexm/kubexm/internal/config"
)

// recorder is a Runner that records the commands instead of running them:
// the real ip and dhclient would change this machine's network, which a
// unit test must not. What they are asked to do is checked instead.
type recorder struct {
	cmds [][]string
	fail string // a command line prefix to fail
}

func (r *recorder) run(_ context.Context, name string, args ...string) ([]byte, error) {
	cmd := append([]string{name}, args...)
	r.cmds = append(r.cmds, cmd)
	if r.fail != "" && strings.HasPrefix(strings.Join(cmd, " "), r.fail) {
		return []byte("RTNETLINK answers: File exists"), testError("exit status 2")
	}
	return nil, nil
}

func TestNetworkCommands(t *testing.T) {
	tests := []struct {
		name string
		seed config.Seed
		want [][]string
		conf string
	}{
		{name: "dhcp", want: [][]string{
			{IPCommand, "link", "set", "dev", "eth0", "up"},
			{DHClientCommand, "-ipv6=false", "-timeout", "15", "-retry", "3", "^eth0$"},
		}},
		{name: "static with gateway and dns", seed: config.Seed{Address: "10.0.0.5/24",
			Gateway: "10.0.0.1", DNS: []string{"10.0.0.2", "10.0.0.3"}},
			want: [][]string{
				{IPCommand, "link", "set", "dev", "eth0", "up"},
				{IPCommand, "addr", "add", "10.0.0.5/24", "dev", "eth0"},
				{IPCommand, "route", "add", "default", "via", "10.0.0.1", "dev", "eth0"},
			},
			conf: "# written by the kubexm installer from spec.seed.dns\n" +
				"nameserver 10.0.0.2\nnameserver 10.0.0.3\n"},
		{name: "static on its subnet only", seed: config.Seed{Address: "10.0.0.5/24"},
			want: [][]string{
				{IPCommand, "link", "set", "dev", "eth0", "up"},
				{IPCommand, "addr", "add", "10.0.0.5/24", "dev", "eth0"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := Network{Interface: "eth0", Seed: tt.seed}
			var r recorder
			if err := n.Up(context.Background(), r.run); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, r.cmds); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
			if got := string(n.ResolvConf()); got != tt.conf {
				t.Errorf("resolv.conf:\n%s\nwant:\n%s", got, tt.conf)
			}
		})
	}
}

func TestNetworkUpNamesTheFailingCommand(t *testing.T) {
	n := Network{Interface: "eth0", Seed: config.Seed{Address: "10.0.0.5/24",
		Gateway: "10.0.0.1"}}
	r := recorder{fail: IPCommand + " addr"}
	err := n.Up(context.Background(), r.run)
	want := "interface eth0: /bbin/ip addr add 10.0.0.5/24 dev eth0: exit status 2: " +
		"RTNETLINK answers: File exists"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if len(r.cmds) != 2 {
		t.Errorf("ran %d commands, want to stop after the failing second", len(r.cmds))
	}
}

// fakeNet makes a sysfs net directory: each interface a directory, with a
// device link for physical ones and a carrier file for those with a link.
func fakeNet(t *testing.T, ifaces map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, kind := range ifaces {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if kind != "virtual" {
			if err := os.Mkdir(filepath.Join(p, "device"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if kind == "link" {
			if err := os.WriteFile(filepath.Join(p, "carrier"), []byte("1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func TestPickInterface(t *testing.T) {
	sysNet := fakeNet(t, map[string]string{"lo": "virtual", "docker0": "virtual",
		"eth0": "nolink", "eth1": "link", "eth2": "link"})
	ctx := context.Background()

	var r recorder
	got, err := PickInterface(ctx, sysNet, "", time.Second, r.run)
	if err != nil || got != "eth1" {
		t.Errorf("got %q, %v; want eth1, the first with a link", got, err)
	}
	if len(r.cmds) != 3 {
		t.Errorf("set %d interfaces up, want the 3 physical ones: %q", len(r.cmds), r.cmds)
	}

	if got, err := PickInterface(ctx, sysNet, "eth0", time.Second, r.run); err != nil || got != "eth0" {
		t.Errorf("named: got %q, %v; want eth0", got, err)
	}
	_, err = PickInterface(ctx, sysNet, "ens3", time.Second, r.run)
	if err == nil || !strings.Contains(err.Error(), "spec.seed.interface: ens3 is not an "+
		"interface of this machine (it has eth0, eth1, eth2)") {
		t.Errorf("unknown interface: got %v", err)
	}

	noLink := fakeNet(t, map[string]string{"lo": "virtual", "eth0": "nolink"})
	_, err = PickInterface(ctx, noLink, "", 300*time.Millisecond, r.run)
	if err == nil || !strings.Contains(err.Error(), "no link on eth0 after 300ms") {
		t.Errorf("no link: got %v", err)
	}
}

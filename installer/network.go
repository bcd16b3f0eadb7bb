package installer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kubexm/kubexm/internal/config"
)

// The u-root commands the installer configures the network with. Each is
// a program the tests can check the arguments of, where netlink calls made
// in-process could only be checked on a machine whose network they change.
const (
	IPCommand       = "/bbin/ip"
	DHClientCommand = "/bbin/dhclient"
)

// DHCPTimeout is how long one DHCP attempt waits for a lease; DHCPRetries
// attempts are made. A DHCP server on a busy site network answers in
// seconds; three tries of 15 s ride out a switch port still in STP
// listening state (up to 30 s).
const (
	DHCPTimeout = 15 * time.Second
	DHCPRetries = 3
)

// CarrierWait is how long to wait for a link on any interface: a NIC's link
// comes up a few seconds after the interface is set up.
const CarrierWait = 15 * time.Second

// Runner runs a program to completion and returns its combined output.
type Runner func(ctx context.Context, name string, args ...string) ([]byte, error)

// Network is how the seed's network is brought up, from spec.seed.
type Network struct {
	// Interface is the interface configured.
	Interface string
	// Seed is spec.seed.
	Seed config.Seed
}

// Commands are the u-root commands that bring the interface up, with the
// static address or by DHCP.
func (n Network) Commands() [][]string {
	dev := n.Interface
	cmds := [][]string{{IPCommand, "link", "set", "dev", dev, "up"}}
	if n.Seed.DHCP() {
		// dhclient takes a pattern of interface names.
		return append(cmds, []string{DHClientCommand, "-ipv6=false",
			"-timeout", strconv.Itoa(int(DHCPTimeout.Seconds())),
			"-retry", strconv.Itoa(DHCPRetries), "^" + regexp.QuoteMeta(dev) + "$"})
	}
	cmds = append(cmds, []string{IPCommand, "addr", "add", n.Seed.Address, "dev", dev})
	if n.Seed.Gateway != "" {
		cmds = append(cmds, []string{IPCommand, "route", "add", "default", "via",
			n.Seed.Gateway, "dev", dev})
	}
	return cmds
}

// ResolvConf is the /etc/resolv.conf of a static address, or nil when
// there is nothing to write (no DNS, or DHCP, whose client writes it).
func (n Network) ResolvConf() []byte {
	if n.Seed.DHCP() || len(n.Seed.DNS) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("# written by the kubexm installer from spec.seed.dns\n")
	for _, ns := range n.Seed.DNS {
		fmt.Fprintf(&b, "nameserver %s\n", ns)
	}
	return []byte(b.String())
}

// Up runs the commands of n, stopping at the first that fails.
func (n Network) Up(ctx context.Context, run Runner) error {
	for _, cmd := range n.Commands() {
		ctx, cancel := context.WithTimeout(ctx,
			time.Duration(DHCPRetries+1)*DHCPTimeout)
		out, err := run(ctx, cmd[0], cmd[1:]...)
		cancel()
		if err != nil {
			return fmt.Errorf("interface %s: %s: %w: %s", n.Interface,
				strings.Join(cmd, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// NetInterfaces lists the physical network interfaces in the sysfs
// directory sysNet: those with a device behind them, which leaves out
// loopback, bridges and other virtual ones. They are sorted by name.
func NetInterfaces(sysNet string) ([]string, error) {
	entries, err := os.ReadDir(sysNet)
	if err != nil {
		return nil, fmt.Errorf("listing network interfaces: %w", err)
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(sysNet, e.Name(), "device")); err == nil {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// HasCarrier reports whether the interface has a link. The kernel reports
// carrier only for an interface that is up; for one that is down, reading
// fails and the answer is false.
func HasCarrier(sysNet, name string) bool {
	data, err := os.ReadFile(filepath.Join(sysNet, name, "carrier"))
	return err == nil && strings.TrimSpace(string(data)) == "1"
}

// PickInterface returns the interface to configure: want if set (it must
// exist), else the first physical interface with a link. It sets every
// physical interface up first, since only then does the kernel say which
// have a link, and waits up to wait for one.
func PickInterface(ctx context.Context, sysNet, want string, wait time.Duration,
	run Runner) (string, error) {

	names, err := NetInterfaces(sysNet)
	if err != nil {
		return "", err
	}
	if want != "" {
		if _, err := os.Stat(filepath.Join(sysNet, want)); err != nil {
			return "", fmt.Errorf("spec.seed.interface: %s is not an interface of this "+
				"machine (it has %s)", want, listOrNone(names))
		}
		return want, nil
	}
	if len(names) == 0 {
		return "", fmt.Errorf("no network interface: is the NIC's driver among the " +
			"initramfs's modules?")
	}

	for _, name := range names {
		if out, err := run(ctx, IPCommand, "link", "set", "dev", name, "up"); err != nil {
			return "", fmt.Errorf("setting %s up: %w: %s", name, err, strings.TrimSpace(string(out)))
		}
	}
	deadline := time.Now().Add(wait)
	for {
		for _, name := range names {
			if HasCarrier(sysNet, name) {
				return name, nil
			}
		}
		if !time.Now().Before(deadline) {
			return "", fmt.Errorf("no link on %s after %s: plug a cable in, or name the "+
				"interface in spec.seed.interface", listOrNone(names), wait)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

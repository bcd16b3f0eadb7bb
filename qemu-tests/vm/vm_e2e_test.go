//go:build e2e

package vm

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTwoVMs boots two VMs on one private network and checks what the
// create tests will rely on: SSH as root and as the sudo user, the host
// image's make-up, the private network, and that nothing gets out.
func TestTwoVMs(t *testing.T) {
	vms := StartN(t, 2, Options{})
	for _, v := range vms {
		fmt.Printf("boot time to sshd: %s %s\n", v.Name, v.BootTime.Round(time.Second))
	}

	for _, v := range vms {
		t.Run(v.Name+"/ssh", func(t *testing.T) { checkLogins(t, v) })
		t.Run(v.Name+"/target", func(t *testing.T) { checkTarget(t, v) })
		t.Run(v.Name+"/image", func(t *testing.T) { checkImage(t, v) })
		t.Run(v.Name+"/air-gap", func(t *testing.T) { checkAirGap(t, v) })
		t.Run(v.Name+"/no-way-to-host", func(t *testing.T) { checkNoWayToHost(t, v) })
	}
	t.Run("private-network", func(t *testing.T) { checkPrivateNetwork(t, vms[0], vms[1]) })
	t.Run("hold-port", func(t *testing.T) { checkHoldPort(t, vms[1]) })
}

// checkLogins logs in as root and as the sudo user, whose sudo needs the
// password.
func checkLogins(t *testing.T, v *VM) {
	if got := strings.TrimSpace(v.MustRun(t, "root", "id -u")); got != "0" {
		t.Errorf("root: id -u = %q, want 0", got)
	}
	if got := strings.TrimSpace(v.MustRun(t, SudoUser, "id -un")); got != SudoUser {
		t.Errorf("%s: id -un = %q", SudoUser, got)
	}

	if out, err := v.Run(SudoUser, "sudo -n true"); err == nil {
		t.Errorf("sudo -n true as %s succeeded without a password: %s", SudoUser, out)
	}
	cmd := fmt.Sprintf("echo %s | sudo -S -p '' id -u", SudoPassword)
	if got := strings.TrimSpace(v.MustRun(t, SudoUser, cmd)); got != "0" {
		t.Errorf("sudo with the password: id -u = %q, want 0", got)
	}
	if got := strings.TrimSpace(v.MustRun(t, "root", "hostname")); got != v.Name {
		t.Errorf("hostname = %q, want %q", got, v.Name)
	}
}

// checkTarget logs in with OpenSSH's client and nothing but what Target
// hands out, as kubexm's config will: the key file and the known_hosts
// file, with strict host key checking.
func checkTarget(t *testing.T, v *VM) {
	RequireTools(t, "ssh")
	tg := v.Target()

	for _, user := range []string{tg.RootUser, tg.SudoUser} {
		out, err := exec.Command("ssh", "-F", "none", "-i", tg.KeyFile,
			"-o", "UserKnownHostsFile="+tg.KnownHostsFile, "-o", "StrictHostKeyChecking=yes",
			"-o", "BatchMode=yes", "-o", "ConnectTimeout=30",
			"-p", strconv.Itoa(tg.Port), user+"@"+tg.Host, "id -un").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != user {
			t.Errorf("ssh %s@%s:%d: %v: %s", user, tg.Host, tg.Port, err, out)
		}
	}
	if tg.Address != v.Address.String() || tg.SudoPassword != SudoPassword {
		t.Errorf("Target = %+v", tg)
	}
}

// checkImage checks the kernel, cgroup v2, the modules Kubernetes loads,
// and that what kubexm must install is not there yet.
func checkImage(t *testing.T, v *VM) {
	uname := strings.TrimSpace(v.MustRun(t, "root", "uname -r"))
	if mods := strings.TrimSpace(v.MustRun(t, "root", "ls /lib/modules")); mods != uname {
		t.Errorf("uname -r = %q but /lib/modules holds %q", uname, mods)
	}
	if fs := strings.TrimSpace(v.MustRun(t, "root", "stat -fc %T /sys/fs/cgroup")); fs != "cgroup2fs" {
		t.Errorf("/sys/fs/cgroup is %q, want cgroup2fs", fs)
	}

	v.MustRun(t, "root", "modprobe overlay && modprobe br_netfilter")
	lsmod := v.MustRun(t, "root", "cat /proc/modules")
	for _, m := range []string{"overlay", "br_netfilter"} {
		if !strings.Contains(lsmod, m+" ") {
			t.Errorf("module %s not loaded after modprobe", m)
		}
	}

	for _, tool := range []string{"containerd", "conntrack", "socat", "runc"} {
		if out, err := v.Run("root", "command -v "+tool); err == nil {
			t.Errorf("%s is installed (%s); kubexm must bring it", tool, strings.TrimSpace(out))
		}
	}
	state := v.MustRun(t, "root", "systemctl is-system-running --wait || true")
	if !strings.HasPrefix(state, "running") {
		failed, _ := v.Run("root", "systemctl --failed --no-legend")
		t.Errorf("systemd state %q; failed units:\n%s", strings.TrimSpace(state), failed)
	}
}

// checkAirGap shows the VM has no route out: connecting to addresses beyond
// the private network fails at once, with no packet sent.
func checkAirGap(t *testing.T, v *VM) {
	routes := v.MustRun(t, "root", "ip -4 route show default; ip -6 route show default")
	if strings.TrimSpace(routes) != "" {
		t.Errorf("default routes present:\n%s", routes)
	}

	for _, addr := range []string{"192.0.2.1/80", "1.1.1.1/443", "2001:db8::1/80"} {
		// The connect is timed by bash itself, around a builtin: an SSH
		// round trip, or even a fork, takes long and varies under TCG.
		script := `s=$EPOCHREALTIME; { : 3<>/dev/tcp/%s; } 2>&1; rc=$?; e=$EPOCHREALTIME;` +
			` echo rc=$rc; echo us=$(( ${e/./} - ${s/./} ))`
		cmd := fmt.Sprintf("timeout 10 bash -c '%s'", fmt.Sprintf(script, addr))
		out, _ := v.Run("root", cmd)

		if !strings.Contains(out, "Network is unreachable") || !strings.Contains(out, "rc=1") {
			t.Errorf("connect to %s: want 'Network is unreachable', got: %s", addr, out)
		}
		var us int
		_, err := fmt.Sscan(out[strings.LastIndex(out, "us=")+3:], &us)
		if err != nil || us > 500000 {
			t.Errorf("connect to %s: want an immediate failure, got: %s", addr, out)
		}
	}
}

// checkNoWayToHost shows the one peer the VM's management NIC has, QEMU's
// user-mode gateway 10.0.2.2, forwards nothing: without restrict=on it
// would relay a connection to the test machine's loopback.
func checkNoWayToHost(t *testing.T, v *VM) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			c.Close()
			accepted <- struct{}{}
		}
	}()

	port := l.Addr().(*net.TCPAddr).Port
	cmd := fmt.Sprintf("timeout 5 bash -c 'exec 3<>/dev/tcp/10.0.2.2/%d' 2>&1; echo rc=$?", port)
	out := v.MustRun(t, "root", cmd)
	if strings.Contains(out, "rc=0") {
		t.Errorf("%s connected to 10.0.2.2:%d: %s", v.Name, port, out)
	}
	select {
	case <-accepted:
		t.Errorf("%s reached the test machine's 127.0.0.1:%d", v.Name, port)
	case <-time.After(time.Second):
	}
}

// checkPrivateNetwork shows vm1 reaches vm2's sshd on the private network.
func checkPrivateNetwork(t *testing.T, a, b *VM) {
	cmd := fmt.Sprintf("timeout 20 bash -c 'exec 3<>/dev/tcp/%s/22; head -c 8 <&3'", b.Address)
	if got := a.MustRun(t, "root", cmd); !strings.HasPrefix(got, "SSH-2.0") {
		t.Errorf("%s -> %s:22: got %q, want an SSH banner", a.Name, b.Address, got)
	}

	neigh := a.MustRun(t, "root", "ip neigh show "+b.Address.String())
	if !strings.Contains(neigh, "lladdr") {
		t.Errorf("%s has no ARP entry for %s: %q", a.Name, b.Address, neigh)
	}
}

// checkHoldPort shows the way the README gives to take a port in a VM, for
// preflight tests that need one taken: the port is open to others.
func checkHoldPort(t *testing.T, v *VM) {
	v.MustRun(t, "root", holdPort)

	wait := "timeout 30 bash -c 'until : 3<>/dev/tcp/127.0.0.1/6443; do sleep 0.5; done'"
	if out, err := v.Run("root", wait); err != nil {
		t.Fatalf("port 6443 not held: %v: %s", err, out)
	}
	if out, err := v.Run("root", wait); err != nil {
		t.Errorf("port 6443 let go after the first connection: %v: %s", err, out)
	}
	v.MustRun(t, "root", "systemctl stop hold-6443")
}

// holdPort is the command the README gives.
const holdPort = "systemd-run --unit=hold-6443 systemd-socket-activate -l 6443 sleep infinity"

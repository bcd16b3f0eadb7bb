package vm

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Options says how to start one VM. The zero value boots the default host
// image with 2 GiB of memory and 2 vCPUs, reachable on SSH only.
type Options struct {
	// Name is the VM's host name. The default is "vm".
	Name string

	// MemoryMiB is the memory size. The default is 2048.
	MemoryMiB int

	// CPUs is the number of vCPUs. The default is 2.
	CPUs int

	// Network is the private network the VM joins, at Address (the
	// default is Network.NextAddress()). Nil: the VM has no private NIC.
	Network *Network
	Address netip.Prefix

	// Image is the host image to boot. The default is DefaultImage(t).
	Image *Image

	// ISO, if set, boots that medium instead of the image's kernel, with
	// a blank disk of DiskSize (default "20G") attached. Start then does
	// not wait for sshd; use WaitConsole or WaitSSH.
	ISO      *ISO
	DiskSize string

	// BootTimeout bounds the wait for sshd. The default is 15 minutes
	// under TCG and 3 with KVM.
	BootTimeout time.Duration

	key *keyPair // shared by the VMs of StartN
}

// VM is a running QEMU machine. It is stopped, and its disk overlay
// removed, when the test that started it ends.
type VM struct {
	// Name is the VM's host name.
	Name string

	// Address is the VM's address on its private network, if it has one,
	// and MAC the address of its NIC there (for Network.Lease).
	Address netip.Addr
	MAC     net.HardwareAddr

	// SSHAddr is where the VM's sshd answers: "127.0.0.1:port".
	SSHAddr string

	// KeyFile is the private key (OpenSSH format) that root and SudoUser
	// accept; KnownHostsFile names the VM's host key for SSHAddr.
	KeyFile, KnownHostsFile string

	// ConsoleLog is the file that receives everything the serial
	// console prints.
	ConsoleLog string

	// BootTime is the time from the start of QEMU to sshd accepting a
	// login, once WaitSSH has returned.
	BootTime time.Duration

	dir         string
	consoleSock string
	key         *keyPair
	hostKey     ssh.PublicKey
	cmd         *exec.Cmd
	started     time.Time
	exited      chan struct{}
	exitErr     error
	timeout     time.Duration

	mu      sync.Mutex
	clients map[string]*ssh.Client // shared connections by user, see Run
}

// Start boots a VM and, unless it boots an ISO, waits until its sshd
// accepts root's key. The test fails if the VM cannot be started or does
// not come up in time.
func Start(t testing.TB, opts Options) *VM {
	t.Helper()

	v := Launch(t, opts)
	if opts.ISO == nil {
		if err := v.WaitSSH(); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: sshd up %s after start", v.Name, v.BootTime.Round(time.Second))
	}
	return v
}

// StartN boots n VMs named vm1..vmN (or opts.Name with a number) on one new
// private network (DefaultPrefix, addresses .11 and up unless
// opts.Network is set), all at once, and waits for each one's sshd. The
// VMs accept one key, so a cluster config can name one key file.
func StartN(t testing.TB, n int, opts Options) []*VM {
	t.Helper()

	if opts.Network == nil {
		opts.Network = NewNetwork(t, DefaultPrefix)
		opts.Network.NextAddress() // .10 stays free, VMs start at .11
	}
	if opts.Image == nil && opts.ISO == nil {
		opts.Image = DefaultImage(t)
	}
	base := opts.Name
	if base == "" {
		base = "vm"
	}
	dir := t.TempDir()
	key, err := newKeyPair(filepath.Join(dir, "id_ed25519"), "kubexm-e2e")
	if err != nil {
		t.Fatal(err)
	}

	vms := make([]*VM, n)
	for i := range vms {
		o := opts
		o.Name, o.Address, o.key = fmt.Sprintf("%s%d", base, i+1), netip.Prefix{}, key
		vms[i] = Launch(t, o)
	}

	waitAll(t, vms)
	return vms
}

// waitAll waits for the sshd of every VM at once and logs boot times.
func waitAll(t testing.TB, vms []*VM) {
	t.Helper()

	errs := make(chan error, len(vms))
	for _, v := range vms {
		go func() { errs <- v.WaitSSH() }()
	}
	for range vms {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	for _, v := range vms {
		t.Logf("%s: sshd up %s after start", v.Name, v.BootTime.Round(time.Second))
	}
}

// Launch starts QEMU for a VM and returns without waiting for the guest.
func Launch(t testing.TB, opts Options) *VM {
	t.Helper()
	RequireTools(t, qemuTools...)
	if opts.ISO != nil && opts.ISO.Firmware == UEFI {
		requireFiles(t, ovmfCode, ovmfVars)
	}

	opts = opts.withDefaults(t)
	v, m, err := prepare(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.cleanup(t) })

	// The forwarded port was free when prepare chose it; if something took
	// it since, QEMU exits at once and the VM gets another port.
	for attempt := 1; ; attempt++ {
		if err := v.run(m); err != nil {
			t.Fatal(err)
		}
		if attempt == 3 || !v.lostPort() {
			return v
		}
		if err := v.forwardPort(&m); err != nil {
			t.Fatal(err)
		}
	}
}

// lostPort reports whether QEMU exited at start because it could not
// listen on the SSH port.
func (v *VM) lostPort() bool {
	select {
	case <-v.exited:
	case <-time.After(2 * time.Second):
		return false
	}

	qlog, _ := os.ReadFile(filepath.Join(v.dir, "qemu.log"))
	return strings.Contains(string(qlog), "host forwarding")
}

// withDefaults fills in the zero fields of o.
func (o Options) withDefaults(t testing.TB) Options {
	if o.Name == "" {
		o.Name = "vm"
	}
	if o.MemoryMiB == 0 {
		o.MemoryMiB = 2048
	}
	if o.CPUs == 0 {
		o.CPUs = 2
	}
	if o.Network != nil && !o.Address.IsValid() {
		o.Address = o.Network.NextAddress()
	}
	if o.ISO == nil && o.Image == nil {
		o.Image = DefaultImage(t)
	}
	if o.DiskSize == "" {
		o.DiskSize = "20G"
	}
	if o.BootTimeout == 0 {
		o.BootTimeout = defaultBootTimeout()
	}
	return o
}

// randomMAC returns a locally administered unicast MAC in QEMU's range.
func randomMAC() string {
	b := make([]byte, 3)
	rand.Read(b)
	return fmt.Sprintf("52:54:00:%02x:%02x:%02x", b[0], b[1], b[2])
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// run starts QEMU and watches for its exit.
func (v *VM) run(m machine) error {
	qlog, err := os.Create(filepath.Join(v.dir, "qemu.log"))
	if err != nil {
		return fmt.Errorf("creating the QEMU log of %s: %w", v.Name, err)
	}
	defer qlog.Close()

	v.cmd = exec.Command("qemu-system-x86_64", m.args()...)
	v.cmd.Stdout, v.cmd.Stderr = qlog, qlog
	// If the test binary dies (a go test timeout, a kill), QEMU dies too
	// instead of running on with nobody to stop it.
	v.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	v.started = time.Now()
	if err := v.cmd.Start(); err != nil {
		return fmt.Errorf("starting QEMU for %s: %w", v.Name, err)
	}

	v.exited = make(chan struct{})
	go func() {
		v.exitErr = v.cmd.Wait()
		close(v.exited)
	}()
	return nil
}

// Stop ends QEMU: SIGTERM, then SIGKILL after ten seconds. The guest is
// not shut down cleanly; its disk is a throwaway overlay.
func (v *VM) Stop() {
	if v.cmd == nil || v.cmd.Process == nil {
		return
	}
	select {
	case <-v.exited:
		return
	default:
	}

	_ = v.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-v.exited:
	case <-time.After(10 * time.Second):
		_ = v.cmd.Process.Kill()
		<-v.exited
	}
}

// cleanup stops the VM and removes its files. When the test failed, the
// console and QEMU logs are kept and their paths printed, with the last
// lines of the console.
func (v *VM) cleanup(t testing.TB) {
	v.closeClients()
	v.Stop()

	if !t.Failed() {
		os.RemoveAll(v.dir)
		return
	}
	for _, f := range []string{"disk.qcow2", "efivars.fd", "console.sock"} {
		os.Remove(filepath.Join(v.dir, f))
	}
	t.Logf("%s: console log %s, QEMU log %s; last console lines:\n%s", v.Name,
		v.ConsoleLog, filepath.Join(v.dir, "qemu.log"), lastLines(v.Console(), 30))
}

// Console returns what the serial console has printed so far.
func (v *VM) Console() string {
	b, _ := os.ReadFile(v.ConsoleLog)
	return string(b)
}

// ConsoleConn connects to the serial console, to read it live and type
// into it (an installer's prompts, say). One connection at a time.
func (v *VM) ConsoleConn() (net.Conn, error) {
	c, err := net.Dial("unix", v.consoleSock)
	if err != nil {
		return nil, fmt.Errorf("connecting to the console of %s: %w", v.Name, err)
	}
	return c, nil
}

// WaitConsole waits until the console has printed text, QEMU exits, or
// timeout passes.
func (v *VM) WaitConsole(text string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if strings.Contains(v.Console(), text) {
			return nil
		}
		if err := v.exitedErr(); err != nil {
			return fmt.Errorf("waiting for %q on the console of %s: %w", text, v.Name, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %q on the console of %s (log %s): "+
				"not seen in %s", text, v.Name, v.ConsoleLog, timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// exitedErr returns an error if QEMU has exited.
func (v *VM) exitedErr() error {
	select {
	case <-v.exited:
		qlog, _ := os.ReadFile(filepath.Join(v.dir, "qemu.log"))
		return fmt.Errorf("qemu exited (%v): %s", v.exitErr,
			strings.TrimSpace(lastLines(string(qlog), 5)))
	default:
		return nil
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

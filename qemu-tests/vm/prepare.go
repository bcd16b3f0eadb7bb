package vm

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/kubexm/kubexm/internal/atomicfile"
)

// prepare makes the VM's directory and everything in it that QEMU reads:
// the disk, the keys and the fw_cfg items the guest configures itself from
// (see guest/kubexm-guest-setup).
func prepare(o Options) (*VM, machine, error) {
	// Socket paths must fit in 108 bytes: a short directory under /tmp.
	dir, err := os.MkdirTemp("", "kubexm-vm-"+o.Name+"-")
	if err != nil {
		return nil, machine{}, fmt.Errorf("creating the directory of VM %s: %w", o.Name, err)
	}

	v := &VM{
		Name:        o.Name,
		Address:     o.Address.Addr(),
		ConsoleLog:  filepath.Join(dir, "console.log"),
		dir:         dir,
		consoleSock: filepath.Join(dir, "console.sock"),
		key:         o.key,
		timeout:     o.BootTimeout,
	}
	m, err := v.machine(o)
	if err != nil {
		os.RemoveAll(dir)
		return nil, machine{}, err
	}
	return v, m, nil
}

// machine fills in the parts of the QEMU command line that need files.
func (v *VM) machine(o Options) (machine, error) {
	m := machine{
		name: o.Name, memoryMiB: o.MemoryMiB, cpus: o.CPUs, kvm: useKVM(),
		disk: filepath.Join(v.dir, "disk.qcow2"), iso: o.ISO,
		consoleSock: v.consoleSock, consoleLog: v.ConsoleLog,
		mgmtMAC: randomMAC(), fwcfg: map[string]string{},
	}

	// 1. The disk: an overlay of the image, or a blank disk for an ISO.
	if err := v.makeDisk(o, &m); err != nil {
		return m, err
	}

	// 2. SSH: the client key, the host key and the forwarded port.
	if err := v.makeKeys(&m); err != nil {
		return m, err
	}
	if err := v.forwardPort(&m); err != nil {
		return m, err
	}

	// 3. The network: a static address on each NIC, no gateway.
	nets := m.mgmtMAC + " 10.0.2.15/24\n"
	if o.Network != nil {
		m.lanMAC = randomMAC()
		v.MAC, _ = net.ParseMAC(m.lanMAC)
		m.lanLocal, m.lanRemote = o.Network.port(o.Name)
		nets += m.lanMAC + " " + o.Address.String() + "\n"
	}
	items := map[string]string{"hostname": o.Name + "\n", "net": nets}
	for name, content := range items {
		if err := v.fwcfgItem(&m, name, content); err != nil {
			return m, err
		}
	}
	return m, nil
}

// forwardPort chooses the port on 127.0.0.1 that leads to the VM's sshd
// and writes the known_hosts file for it.
func (v *VM) forwardPort(m *machine) error {
	port, err := freePort()
	if err != nil {
		return err
	}

	m.sshPort = port
	v.SSHAddr = fmt.Sprintf("127.0.0.1:%d", port)
	v.KnownHostsFile, err = writeKnownHosts(v.dir, v.SSHAddr, v.hostKey)
	return err
}

// makeDisk creates the VM's disk with qemu-img.
func (v *VM) makeDisk(o Options, m *machine) error {
	args := []string{"create", "-q", "-f", "qcow2", m.disk, o.DiskSize}
	if o.ISO == nil {
		m.kernel, m.initrd = o.Image.Kernel, o.Image.Initrd
		m.cmdline = "root=/dev/vda rw console=ttyS0,115200 panic=-1 net.ifnames=0"
		args = []string{"create", "-q", "-f", "qcow2", "-F", "raw", "-b", o.Image.Disk, m.disk}
	}
	if out, err := exec.Command("qemu-img", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("creating the disk of VM %s: %w: %s", o.Name, err, out)
	}

	if o.ISO != nil && o.ISO.Firmware == UEFI {
		m.efiVars = filepath.Join(v.dir, "efivars.fd")
		if err := atomicfile.Copy(ovmfVars, m.efiVars, 0o644); err != nil {
			return fmt.Errorf("copying the UEFI variables of VM %s: %w", o.Name, err)
		}
	}
	return nil
}

// makeKeys writes the client key (unless StartN shares one) and a host key
// that the guest installs, so the host key is known before the first login.
func (v *VM) makeKeys(m *machine) error {
	if v.key == nil {
		k, err := newKeyPair(filepath.Join(v.dir, "id_ed25519"), "kubexm-e2e")
		if err != nil {
			return err
		}
		v.key = k
	}
	v.KeyFile = v.key.file
	m.fwcfg["opt/kubexm/authorized_keys"] = v.key.file + ".pub"
	if err := os.WriteFile(v.key.file+".pub", []byte(v.key.public), 0o644); err != nil {
		return fmt.Errorf("writing the public key of VM %s: %w", v.Name, err)
	}

	host, err := newKeyPair(filepath.Join(v.dir, "ssh_host_ed25519_key"), "root@"+v.Name)
	if err != nil {
		return err
	}
	v.hostKey = host.signer.PublicKey()
	m.fwcfg["opt/kubexm/ssh_host_ed25519_key"] = host.file
	return nil
}

// fwcfgItem writes content to a file and passes it to the guest as the
// fw_cfg item opt/kubexm/name.
func (v *VM) fwcfgItem(m *machine, name, content string) error {
	path := filepath.Join(v.dir, "fwcfg-"+name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return fmt.Errorf("writing fw_cfg item %s of VM %s: %w", name, v.Name, err)
	}
	m.fwcfg["opt/kubexm/"+name] = path
	return nil
}

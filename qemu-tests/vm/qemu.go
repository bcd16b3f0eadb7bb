package vm

import (
	"fmt"
	"sort"
	"strings"
)

// machine is everything the QEMU command line of one VM is made from.
type machine struct {
	name      string
	memoryMiB int
	cpus      int
	kvm       bool

	// Direct kernel boot of the host image; unused when iso is set.
	kernel, initrd, cmdline string

	disk        string // the VM's qcow2 disk
	iso         *ISO
	efiVars     string // the VM's copy of the OVMF variable store
	consoleSock string
	consoleLog  string

	sshPort   int    // 127.0.0.1 port forwarded to the VM's port 22
	mgmtMAC   string // the NIC of the user-mode network that carries it
	lanMAC    string // the NIC on the private network, if any
	lanLocal  string // its Unix datagram socket
	lanRemote string // the switch's socket

	fwcfg map[string]string // fw_cfg item name -> file
}

// args returns QEMU's command line, without the program name.
func (m machine) args() []string {
	a := []string{
		"-name", m.name,
		"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
		"-machine", "q35",
		"-m", fmt.Sprint(m.memoryMiB), "-smp", fmt.Sprint(m.cpus),
	}
	if m.kvm {
		a = append(a, "-accel", "kvm", "-cpu", "host")
	} else {
		a = append(a, "-accel", "tcg", "-cpu", "max")
	}

	a = append(a, m.bootArgs()...)
	a = append(a, m.consoleArgs()...)
	a = append(a, m.netArgs()...)

	// The guest seeds its entropy from the host instead of waiting for
	// it, which under TCG would hold up sshd's start.
	a = append(a, "-device", "virtio-rng-pci")

	names := make([]string, 0, len(m.fwcfg))
	for name := range m.fwcfg {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		a = append(a, "-fw_cfg", "name="+name+",file="+escape(m.fwcfg[name]))
	}
	return a
}

// bootArgs attach the disk and say what boots: the image's kernel
// directly, or the ISO through the firmware.
func (m machine) bootArgs() []string {
	disk := "file=" + escape(m.disk) + ",format=qcow2,if=none,id=disk,cache=unsafe,discard=unmap"
	if m.iso == nil {
		return []string{
			"-kernel", m.kernel, "-initrd", m.initrd, "-append", m.cmdline,
			"-drive", disk, "-device", "virtio-blk-pci,drive=disk",
		}
	}

	a := []string{"-drive", disk, "-device", "virtio-blk-pci,drive=disk,bootindex=1"}
	if m.iso.Firmware == UEFI {
		a = append(a,
			"-drive", "if=pflash,format=raw,unit=0,readonly=on,file="+escape(ovmfCode),
			"-drive", "if=pflash,format=raw,unit=1,file="+escape(m.efiVars))
	}

	medium := "file=" + escape(m.iso.Path) + ",format=raw,if=none,id=medium,readonly=on"
	if m.iso.Media == USB {
		return append(a, "-drive", medium, "-device", "qemu-xhci,id=xhci",
			"-device", "usb-storage,bus=xhci.0,drive=medium,removable=on,bootindex=0")
	}
	return append(a, "-drive", medium+",media=cdrom", "-device", "ide-cd,drive=medium,bootindex=0")
}

// consoleArgs put the serial console on a Unix socket that a test may
// connect to, and log everything it prints, connected or not.
func (m machine) consoleArgs() []string {
	return []string{
		"-chardev", "socket,id=console,server=on,wait=off,path=" + escape(m.consoleSock) +
			",logfile=" + escape(m.consoleLog),
		"-serial", "chardev:console",
	}
}

// netArgs give the VM its two NICs.
//
// The management NIC is QEMU's user-mode network with restrict=on: the
// guest can send nothing out through it; its only use is the hostfwd
// from 127.0.0.1 to sshd. The guest sets a static address on it with no
// gateway, so it has no route beyond the private network either.
//
// The private NIC, if any, joins a Network (see there for why a Unix
// datagram socket). Neither NIC has an option ROM: the firmware never
// tries to boot from the network.
func (m machine) netArgs() []string {
	a := []string{
		"-netdev", fmt.Sprintf("user,id=mgmt,restrict=on,ipv6=off,"+
			"net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:%d-10.0.2.15:22", m.sshPort),
		"-device", "virtio-net-pci,netdev=mgmt,romfile=,mac=" + m.mgmtMAC,
	}
	if m.lanLocal == "" {
		return a
	}
	return append(a,
		"-netdev", "dgram,id=lan,local.type=unix,local.path="+escape(m.lanLocal)+
			",remote.type=unix,remote.path="+escape(m.lanRemote),
		"-device", "virtio-net-pci,netdev=lan,romfile=,mac="+m.lanMAC)
}

// escape doubles commas, which QEMU's option syntax reads as separators.
func escape(s string) string {
	return strings.ReplaceAll(s, ",", ",,")
}

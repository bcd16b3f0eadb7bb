package vm

import (
	"strings"
	"testing"
)

func TestMachineArgs(t *testing.T) {
	base := machine{
		name: "vm1", memoryMiB: 2048, cpus: 2, disk: "/d/disk.qcow2",
		kernel: "/i/vmlinuz", initrd: "/i/initrd.img", cmdline: "root=/dev/vda",
		consoleSock: "/d/console.sock", consoleLog: "/d/console.log",
		sshPort: 2222, mgmtMAC: "52:54:00:00:00:01",
		fwcfg: map[string]string{"opt/kubexm/net": "/d/net,1"},
	}
	lan := base
	lan.lanMAC, lan.lanLocal, lan.lanRemote = "52:54:00:00:00:02", "/n/vm1", "/n/switch"
	kvm := base
	kvm.kvm = true
	cd, usb, uefi := base, base, base
	cd.iso = &ISO{Path: "/x/k.iso"}
	usb.iso = &ISO{Path: "/x/k.iso", Media: USB}
	uefi.iso, uefi.efiVars = &ISO{Path: "/x/k.iso", Firmware: UEFI}, "/d/efivars.fd"

	tests := []struct {
		name      string
		m         machine
		want, not []string
	}{
		{"direct kernel boot, TCG", base, []string{
			"-accel tcg", "-kernel /i/vmlinuz", "-m 2048", "-smp 2", "-nodefaults",
			"user,id=mgmt,restrict=on,ipv6=off,net=10.0.2.0/24," +
				"hostfwd=tcp:127.0.0.1:2222-10.0.2.15:22",
			"name=opt/kubexm/net,file=/d/net,,1", "logfile=/d/console.log",
		}, []string{"dgram", "mcast", "kvm", "bootindex"}},
		{"private network", lan, []string{
			"dgram,id=lan,local.type=unix,local.path=/n/vm1,remote.type=unix,remote.path=/n/switch",
			"virtio-net-pci,netdev=lan,romfile=,mac=52:54:00:00:00:02",
		}, []string{"mcast", "udp="}},
		{"KVM", kvm, []string{"-accel kvm", "-cpu host"}, []string{"tcg"}},
		{"ISO as CD-ROM, BIOS", cd, []string{
			"media=cdrom", "ide-cd,drive=medium,bootindex=0", "drive=disk,bootindex=1",
		}, []string{"-kernel", "pflash", "usb-storage"}},
		{"ISO as USB stick", usb, []string{"qemu-xhci", "usb-storage,bus=xhci.0,drive=medium"},
			[]string{"media=cdrom", "pflash"}},
		{"ISO with UEFI", uefi, []string{"readonly=on,file=" + ovmfCode, "unit=1,file=/d/efivars.fd"},
			[]string{"-kernel"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := strings.Join(tt.m.args(), " ")
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("missing %q in:\n%s", w, line)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(line, n) {
					t.Errorf("unexpected %q in:\n%s", n, line)
				}
			}
		})
	}
}

// Package rootfs assembles the initramfs of kubexm's bootable ISO.
//
// The initramfs is two xz-compressed cpio archives, one after the other
// (the kernel unpacks concatenated archives in order):
//
//  1. the base, built by `make rootfs` (go run ./rootfs/cmd/mkbase) and
//     embedded into kubexm-builder: u-root's init and core commands in one
//     busybox binary under /bbin, and the kubexm installer as its own
//     binary /bin/kubexm-installer, which /bin/uinit links to;
//  2. the kernel's part, written by Assemble from a Debian kernel package:
//     the modules the installer loads, their load order, and any extra
//     files the caller adds.
//
// # The module order file
//
// /etc/kubexm/modules lists the kernel modules to load, one absolute path
// of a .ko file per line (e.g. /lib/modules/6.1.0-57-amd64/kernel/drivers/
// cdrom/cdrom.ko), in load order: every module comes after the modules it
// depends on. The installer loads them in that order with finit_module(2).
// The files are uncompressed, so the kernel needs no module decompression.
// Lines are separated by "\n"; there are no comments and no blank lines. A
// module the kernel has built in is not listed.
package rootfs

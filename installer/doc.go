// Package installer is the program of kubexm's bootable ISO. The ISO boots
// a Linux kernel with a u-root initramfs whose init starts the installer
// (as uinit) on the seed node of an air-gapped site; the installer then
// deploys the cluster to the other hosts over SSH, reading the bundle in
// place from the medium.
//
// # Steps
//
// Run reports each step on the console and, with timestamps, in the log
// /run/kubexm/installer.log (the initramfs lives in RAM, so nothing of it
// reaches a disk; secrets are blanked in both):
//
//  1. Load the kernel modules listed in ModulesFile with finit_module(2).
//     One already loaded is fine; one that fails is reported and the rest
//     are still loaded.
//  2. Find the boot medium by its volume label, BootLabel or the
//     kubexm.label= of the kernel command line, among the sr, sd, vd and
//     nvme block devices and their partitions, retrying for MediumWait.
//  3. Mount it read-only (iso9660) at /run/kubexm/medium.
//  4. Load and validate ConfigName from the medium's root.
//  5. Bring up the network from spec.seed: a static address with u-root's
//     ip, or DHCP with its dhclient.
//  6. Print the banner: version, cluster, hosts and roles, seed address,
//     log path.
//  7. Find SSH credentials: EmbeddedKeyPath on the medium; else a second
//     medium labelled KeysLabel (ISO 9660 or FAT) holding <host>.key or one
//     of KeyFileNames; else a password typed on the console. Write the
//     derived config (mode 0600) that points the hosts at them.
//  8. Run the kubexm commands of the deployment in this process against
//     the derived config: today preflight, later create.
//  9. Print the success line, or the failure line and open a shell.
//
// # Console contract
//
// These lines are fixed; the end-to-end test that boots the ISO waits for
// them on the serial console. Each starts with LinePrefix,
// "kubexm installer: ".
//
//   - The banner's first line, once the network is up:
//     "kubexm installer: <version>, cluster <metadata.name>"
//     (BannerFirstLine), e.g. "kubexm installer: v0.3.0, cluster demo".
//   - On success, the last line: "kubexm installer: preflight passed"
//     (SuccessLine).
//   - On failure: "kubexm installer: failed: <reason>; log:
//     /run/kubexm/installer.log" (FailureLine), then an interactive shell,
//     the first of Shells that exists.
//
// # Outside the initramfs
//
// Main refuses to run unless init (pid 1) started it and the kernel
// command line has kubexm.label (which the ISO's boot entries set), so
// that running it by mistake on an operator's machine touches nothing.
// With --dry-run it says what it would do instead, and with --medium DIR
// it also reads DIR as the medium and shows the banner, the network
// commands and where each host's credentials would come from.
package installer

#!/bin/sh
# build-image.sh builds the Debian host image of the QEMU test bed into $OUT:
#   vmlinuz, initrd.img  the kernel of linux-image-amd64 and its initramfs
#   disk.raw             an ext4 file system (no partition table) made with
#                        mkfs.ext4 -d, so nothing is ever mounted to fill it
#   kernel-release       uname -r of that kernel, as found in /lib/modules
#   packages.txt         every package installed, with its version
# The Go package runs it (see image.go); it is not meant to be run by hand.
#
# Inputs, all required, from the environment:
#   MIRROR    the Debian mirror, read from the machine's apt sources
#   SUITE     the Debian suite, e.g. bookworm
#   PACKAGES  comma-separated packages added to debootstrap's minbase
#   PASSWORD  the password of the sudo user "kubexm"
#   GUEST     the directory holding the guest files (guest/ next to this)
#   OUT       an empty directory that receives the result
#   DISK_SIZE the size of the file system, e.g. 20G (sparse)
set -eu

: "${MIRROR:?}" "${SUITE:?}" "${PACKAGES:?}" "${PASSWORD:?}" "${GUEST:?}" "${OUT:?}"
: "${DISK_SIZE:?}"

root=$OUT/root
in_root() { chroot "$root" "$@"; }

# 1. debootstrap. It mounts /proc and /sys inside the target while package
#    scripts run; a private mount namespace makes sure those mounts can never
#    outlive it or show up on the test machine, even if debootstrap dies.
unshare --mount --propagation private \
	debootstrap --variant=minbase --include="$PACKAGES" \
	"$SUITE" "$root" "$MIRROR"

# 2. Users: root logs in by key; kubexm logs in by key and needs its
#    password for sudo. Keys arrive at boot through fw_cfg.
in_root useradd --create-home --shell /bin/bash --groups sudo kubexm
echo "kubexm:$PASSWORD" | in_root chpasswd

# 3. The per-VM setup service and sshd settings.
install -m 755 "$GUEST/kubexm-guest-setup" "$root/usr/local/sbin/kubexm-guest-setup"
install -m 644 "$GUEST/kubexm-guest-setup.service" \
	"$root/etc/systemd/system/kubexm-guest-setup.service"
install -m 644 "$GUEST/sshd-kubexm.conf" "$root/etc/ssh/sshd_config.d/kubexm.conf"
in_root systemctl enable kubexm-guest-setup.service
rm -f "$root"/etc/ssh/ssh_host_*

# 4. Identity and boot: every VM gets its own machine-id at first boot; the
#    root file system is the whole virtio disk.
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
echo kubexm >"$root/etc/hostname"
echo '/dev/vda / ext4 rw,discard,errors=remount-ro 0 1' >"$root/etc/fstab"
# Under TCG each of these costs seconds of boot and none serves a test:
# periodic jobs, and modules for hardware QEMU only pretends to have.
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
	e2scrub_reap.service modprobe@drm.service modprobe@efi_pstore.service; do
	in_root systemctl mask "$unit" >/dev/null 2>&1 || true
done
install -m 644 "$GUEST/modprobe-kubexm.conf" "$root/etc/modprobe.d/kubexm-testbed.conf"

# 5. A small initramfs, holding only what mounting the root disk needs:
#    initramfs-tools' default (MODULES=most) makes it 36 MB, and unpacking
#    that costs seconds of every boot under TCG.
printf 'virtio_pci\nvirtio_blk\next4\ncrc32c_generic\n' >>"$root/etc/initramfs-tools/modules"
echo MODULES=list >"$root/etc/initramfs-tools/conf.d/kubexm-testbed.conf"
in_root update-initramfs -u -k all

# 6. Kernel, initramfs and a list of what is installed, beside the disk.
release=$(ls "$root/lib/modules")
[ "$(echo "$release" | wc -l)" -eq 1 ] || { echo "want one kernel, have: $release" >&2; exit 1; }
echo "$release" >"$OUT/kernel-release"
cp "$root/boot/vmlinuz-$release" "$OUT/vmlinuz"
cp "$root/boot/initrd.img-$release" "$OUT/initrd.img"
in_root dpkg-query -W -f '${Package} ${Version}\n' >"$OUT/packages.txt"
in_root apt-get clean

# 7. The disk. mkfs.ext4 -d copies the tree, owners and modes included.
mkfs.ext4 -q -L kubexm-root -d "$root" "$OUT/disk.raw" "$DISK_SIZE"
rm -rf "$root"

#!/bin/sh
# install-deps.sh installs what the QEMU test bed (make e2e) needs on a
# Debian or Ubuntu test machine. It is idempotent: packages already there
# are left alone, and apt is not touched at all when nothing is missing.
# Run it as root.
set -eu

# xorriso, isolinux, dosfstools and mtools write the ISO that TestISOBoot
# boots; the rest build and run the VMs.
packages="qemu-system-x86 qemu-utils debootstrap ovmf e2fsprogs util-linux openssh-client
	xorriso isolinux syslinux-common dosfstools mtools"

missing=
for p in $packages; do
	if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all present:$(printf ' %s' $packages)"
	exit 0
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086 # word splitting of the list is intended
apt-get install -y -q --no-install-recommends $missing

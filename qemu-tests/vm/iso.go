package vm

// Media is how an ISO image is attached to a VM.
type Media int

const (
	// CDROM attaches the ISO as a CD-ROM drive on the SATA controller.
	CDROM Media = iota

	// USB attaches the ISO as a USB stick (usb-storage on an XHCI
	// controller), as a user who wrote the hybrid image to a stick would.
	USB
)

// Firmware is what the VM boots with.
type Firmware int

const (
	// BIOS boots with SeaBIOS, QEMU's default firmware.
	BIOS Firmware = iota

	// UEFI boots with OVMF (Debian package ovmf), without secure boot.
	UEFI
)

// OVMF firmware files of Debian's ovmf package: the code, read-only, and
// the template of the variable store, of which each VM gets a copy.
const (
	ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	ovmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
)

// ISO makes a VM boot an ISO image instead of the host image's kernel, as
// a seed node boots kubexm's installer medium. The VM gets a blank disk
// (Options.DiskSize) that the medium can install to; the medium boots
// first, the disk after it.
type ISO struct {
	// Path is the ISO image. It is attached read-only.
	Path string

	// Media is CDROM (the default) or USB.
	Media Media

	// Firmware is BIOS (the default) or UEFI.
	Firmware Firmware
}

// String names the media for logs and test names.
func (m Media) String() string {
	if m == USB {
		return "usb"
	}
	return "cdrom"
}

// String names the firmware for logs and test names.
func (f Firmware) String() string {
	if f == UEFI {
		return "uefi"
	}
	return "bios"
}

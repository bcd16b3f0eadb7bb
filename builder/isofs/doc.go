// Package isofs writes the ISO 9660 images of kubexm: the plain images
// that carry an OS-package repository, and the hybrid image of the
// installer medium, which boots with BIOS and UEFI, from a CD and from a
// USB stick (the same file written to it with dd).
//
// Write lays out the tree with go-diskfs (Rock Ridge names and modes, an
// El Torito boot catalog), then rewrites every timestamp and owner so the
// same tree and time give the same bytes, cuts the file to its content
// (a whole number of 2048-byte blocks) and writes the system area. MakeESP
// writes the FAT image of the EFI system partition that goes into the
// tree, just as reproducibly.
//
// # Booting from a CD
//
// A CD is booted through the El Torito catalog. The first (default) entry
// loads isolinux.bin for a BIOS, four 512-byte sectors without emulation,
// with a boot information table patched into the image's copy of it so
// that ISOLINUX finds itself. The second entry, of platform 0xEF, names
// the FAT image, whose EFI/BOOT/BOOTX64.EFI UEFI firmware starts.
//
// # Booting from a disk: the system area
//
// A USB stick is a disk, read from its first sector, which ISO 9660
// leaves to the system (the first 32 KiB are unused by the file system).
// Write puts an MBR in its first 512 bytes, laid out as syslinux's
// isohybrid and xorriso -isohybrid-mbr lay it out:
//
//	  0..431  boot code from isohdpfx.bin: it loads isolinux.bin from
//	          the sector number below, the BIOS path for a stick
//	432..439  isolinux.bin's first 512-byte sector (block * 4), 64 bits
//	440..443  disk signature, derived from the label and time
//	446..461  partition 1: bootable (0x80), type 0x00, from sector 0
//	          over the whole image
//	462..477  partition 2: type 0xEF, exactly the extent of the FAT image
//	          inside the ISO file system (only with EFI)
//	510..511  0x55 0xAA
//
// Partition 1 makes BIOSes that want an active partition boot the stick.
// It has type 0 because it overlaps partition 2: UEFI firmware, OVMF
// among them, refuses an MBR whose partitions of non-zero type overlap,
// and ignores entries of type 0. So firmware finds exactly one partition,
// the EFI system partition, mounts its FAT and starts its loader, while
// Linux and the installer still see the whole image as one disk holding
// ISO 9660. This is the layout of Debian's hybrid images. No GPT is
// written: MBR alone boots both ways. (OVMF, finding El Torito on the
// stick, boots through the catalog and never reads the MBR; firmware that
// reads only partition tables from disks takes partition 2.)
//
// # Names
//
// ISO 9660 names are those go-diskfs makes (8.3, upper case: a leading-dot
// folder such as .kubexm gets an empty identifier); readers find files by
// their Rock Ridge names, as Linux and ISOLINUX do (an isolinux.cfg can
// say KERNEL /.kubexm/boot/vmlinuz).
package isofs

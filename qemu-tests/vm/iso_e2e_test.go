//go:build e2e

package vm

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/atomicfile"
)

// TestISOBoot boots a small hybrid medium from a CD-ROM and from a USB
// stick, with SeaBIOS and with OVMF, a blank disk attached. Under BIOS,
// isolinux boots the host image's kernel and initramfs, which must see the
// disk. Under UEFI, the medium's EFI system partition holds the kernel and
// a startup.nsh that OVMF's shell runs (the medium has no EFI loader of its
// own: that is the builder's part), and the kernel must report EFI.
func TestISOBoot(t *testing.T) {
	RequireTools(t, "xorriso", "mkfs.vfat", "mcopy")
	img := DefaultImage(t)
	iso := makeISO(t, img)
	linux := "Linux version " + img.KernelRelease

	tests := []struct {
		iso  ISO
		want []string
	}{
		{ISO{Path: iso, Media: CDROM}, []string{linux, "[vda]"}},
		{ISO{Path: iso, Media: USB}, []string{linux, "[vda]"}},
		{ISO{Path: iso, Media: CDROM, Firmware: UEFI}, []string{linux, "efi: EFI v"}},
		{ISO{Path: iso, Media: USB, Firmware: UEFI}, []string{linux, "efi: EFI v"}},
	}

	for _, tt := range tests {
		t.Run(tt.iso.Media.String()+"-"+tt.iso.Firmware.String(), func(t *testing.T) {
			iso := tt.iso
			v := Start(t, Options{Name: "seed", ISO: &iso, DiskSize: "1G", MemoryMiB: 1024})
			for _, w := range tt.want {
				if err := v.WaitConsole(w, 5*time.Minute); err != nil {
					t.Fatal(err)
				}
			}
			v.Stop()
		})
	}
}

// makeISO writes a hybrid ISO, as Debian's are: isolinux for BIOS, an EFI
// system partition for UEFI, bootable from a CD and from a USB stick.
func makeISO(t *testing.T, img *Image) string {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(filepath.Join(tree, "isolinux"), 0o755); err != nil {
		t.Fatal(err)
	}

	files := map[string]string{
		"/usr/lib/ISOLINUX/isolinux.bin":             "isolinux/isolinux.bin",
		"/usr/lib/syslinux/modules/bios/ldlinux.c32": "isolinux/ldlinux.c32",
		img.Kernel: "vmlinuz",
		img.Initrd: "initrd.img",
	}
	for src, dst := range files {
		if err := atomicfile.Copy(src, filepath.Join(tree, dst), 0o644); err != nil {
			t.Fatalf("copying %s into the ISO tree: %v", src, err)
		}
	}
	cfg := "SERIAL 0 115200\nDEFAULT linux\nLABEL linux\n" +
		"  KERNEL /vmlinuz\n  APPEND initrd=/initrd.img console=ttyS0,115200 panic=-1\n"
	writeFile(t, filepath.Join(tree, "isolinux/isolinux.cfg"), cfg)
	makeESP(t, img, filepath.Join(tree, "efi.img"))

	iso := filepath.Join(dir, "boot.iso")
	run(t, "xorriso", "-as", "mkisofs", "-quiet", "-o", iso,
		"-isohybrid-mbr", "/usr/lib/ISOLINUX/isohdpfx.bin",
		"-c", "isolinux/boot.cat", "-b", "isolinux/isolinux.bin",
		"-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
		"-eltorito-alt-boot", "-e", "efi.img", "-no-emul-boot", "-isohybrid-gpt-basdat", tree)
	return iso
}

// makeESP writes a 16 MiB FAT image with the kernel and a startup.nsh that
// boots it with its console on the serial port. mtools fills it, so nothing
// is mounted. The initramfs is left out to keep the image under El
// Torito's 32 MiB; the kernel gets far enough to show it booted by UEFI.
func makeESP(t *testing.T, img *Image, path string) {
	nsh := filepath.Join(filepath.Dir(path), "startup.nsh")
	writeFile(t, nsh, "fs0:\r\n\\vmlinuz.efi console=ttyS0,115200 panic=-1\r\n")

	run(t, "mkfs.vfat", "-C", path, "16384")
	run(t, "mcopy", "-i", path, img.Kernel, "::/vmlinuz.efi")
	run(t, "mcopy", "-i", path, nsh, "::/startup.nsh")
	os.Remove(nsh)
}

func writeFile(t *testing.T, path, content string) {
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, name string, args ...string) {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
}

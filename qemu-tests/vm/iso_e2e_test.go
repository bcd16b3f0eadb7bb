//go:build e2e

package vm

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestISOBoot boots a small isolinux medium (the host image's kernel and
// initramfs) from a CD-ROM and from a USB stick with SeaBIOS, and checks
// that the kernel starts and sees the blank disk. Under UEFI the medium
// has no EFI loader yet, so the test only checks that OVMF came up and
// tried to boot it.
func TestISOBoot(t *testing.T) {
	RequireTools(t, "xorriso")
	img := DefaultImage(t)
	iso := makeISO(t, img)

	tests := []struct {
		iso  ISO
		want []string
	}{
		{ISO{Path: iso, Media: CDROM}, []string{"Linux version " + img.KernelRelease, "[vda]"}},
		{ISO{Path: iso, Media: USB}, []string{"Linux version " + img.KernelRelease, "[vda]"}},
		// TODO: boot a real EFI loader once the builder writes UEFI media.
		{ISO{Path: iso, Media: CDROM, Firmware: UEFI}, []string{"BdsDxe", "DVD-ROM"}},
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

// makeISO writes a hybrid (CD and USB) BIOS-bootable ISO with isolinux.
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
		if err := copyFile(src, filepath.Join(tree, dst)); err != nil {
			t.Fatalf("copying %s into the ISO tree: %v", src, err)
		}
	}
	cfg := "SERIAL 0 115200\nDEFAULT linux\nLABEL linux\n" +
		"  KERNEL /vmlinuz\n  APPEND initrd=/initrd.img console=ttyS0,115200 panic=-1\n"
	if err := os.WriteFile(filepath.Join(tree, "isolinux/isolinux.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	iso := filepath.Join(dir, "boot.iso")
	out, err := exec.Command("xorriso", "-as", "mkisofs", "-quiet", "-o", iso,
		"-isohybrid-mbr", "/usr/lib/ISOLINUX/isohdpfx.bin",
		"-c", "isolinux/boot.cat", "-b", "isolinux/isolinux.bin",
		"-no-emul-boot", "-boot-load-size", "4", "-boot-info-table", tree).CombinedOutput()
	if err != nil {
		t.Fatalf("writing %s with xorriso: %v: %s", iso, err, out)
	}
	return iso
}

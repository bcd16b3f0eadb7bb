//go:build e2e

package isofs

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/atomicfile"
	"github.com/kubexm/kubexm/qemu-tests/vm"
)

// TestBootHybridISO boots one image written by Write four ways: from a
// CD-ROM and from a USB stick, with SeaBIOS and with OVMF. BIOS boots go
// through ISOLINUX, which names the kernel by its Rock Ridge path under
// the leading-dot folder .kubexm, as the installer medium keeps it; UEFI
// boots go through systemd-boot in the ESP. Each must reach the kernel's
// banner on the serial console.
//
// OVMF reads El Torito from a USB stick too, and then ignores its MBR,
// so a fifth boot blanks the boot record in a copy of the image: the
// stick must then boot from the MBR's EFI partition alone, as firmware
// that does not read El Torito from disks boots it.
func TestBootHybridISO(t *testing.T) {
	vm.RequireTools(t, "qemu-system-x86_64", "apt-get", "dpkg-deb")
	img := vm.DefaultImage(t)
	iso := bootMedium(t, img, systemdBoot(t))
	banner := "Linux version " + img.KernelRelease

	boots := []vm.ISO{
		{Path: iso, Media: vm.CDROM, Firmware: vm.BIOS},
		{Path: iso, Media: vm.USB, Firmware: vm.BIOS},
		{Path: iso, Media: vm.CDROM, Firmware: vm.UEFI},
		{Path: iso, Media: vm.USB, Firmware: vm.UEFI},
		{Path: withoutElTorito(t, iso), Media: vm.USB, Firmware: vm.UEFI},
	}
	for i, b := range boots {
		name := b.Media.String() + "-" + b.Firmware.String()
		if i == 4 {
			name += "-mbr-only"
		}
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			v := vm.Start(t, vm.Options{Name: "seed", ISO: &b, DiskSize: "1G", MemoryMiB: 1024})
			if err := v.WaitConsole(banner, 10*time.Minute); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s %s: %q after %s", b.Media, b.Firmware, banner, time.Since(start).Round(time.Second))
			v.Stop()
		})
	}
}

// bootMedium writes the hybrid image of a tree like the installer's: the
// kernel and initramfs under .kubexm/boot for ISOLINUX, and an ESP with
// systemd-boot and its own copies of them.
func bootMedium(t *testing.T, img *vm.Image, sdboot string) string {
	needFile(t, isolinuxBin, "isolinux")
	needFile(t, ldlinuxC32, "syslinux-common")
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	copies := map[string]string{
		isolinuxBin: "isolinux/isolinux.bin",
		ldlinuxC32:  "isolinux/ldlinux.c32",
		img.Kernel:  ".kubexm/boot/vmlinuz",
		img.Initrd:  ".kubexm/boot/initrd.img",
	}
	for src, dst := range copies {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tree, dst)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.Copy(src, filepath.Join(tree, dst), 0o644); err != nil {
			t.Fatalf("copying %s into the tree: %v", src, err)
		}
	}
	cmdline := "console=ttyS0,115200 panic=-1"
	writeFile(t, filepath.Join(tree, "isolinux/isolinux.cfg"), []byte("SERIAL 0 115200\n"+
		"DEFAULT linux\nLABEL linux\n  KERNEL /.kubexm/boot/vmlinuz\n"+
		"  APPEND initrd=/.kubexm/boot/initrd.img "+cmdline+"\n"))

	conf := filepath.Join(dir, "conf")
	writeFile(t, filepath.Join(conf, "loader.conf"), []byte("default kubexm.conf\ntimeout 0\n"))
	writeFile(t, filepath.Join(conf, "kubexm.conf"), []byte("title kubexm\nlinux /vmlinuz\n"+
		"initrd /initrd.img\noptions "+cmdline+"\n"))
	esp := map[string]string{
		"EFI/BOOT/BOOTX64.EFI":       sdboot,
		"loader/loader.conf":         filepath.Join(conf, "loader.conf"),
		"loader/entries/kubexm.conf": filepath.Join(conf, "kubexm.conf"),
		"vmlinuz":                    img.Kernel,
		"initrd.img":                 img.Initrd,
	}
	if err := MakeESP(filepath.Join(tree, "boot/efi.img"), esp, fixedTime); err != nil {
		t.Fatal(err)
	}

	iso := filepath.Join(dir, "kubexm.iso")
	o := Options{Label: "KUBEXM", Time: fixedTime, Catalog: "isolinux/boot.cat",
		BIOS: &BIOSBoot{Loader: "isolinux/isolinux.bin", MBRCode: mbrCode(t)},
		EFI:  &EFIBoot{Image: "boot/efi.img"}}
	if err := Write(tree, iso, o); err != nil {
		t.Fatal(err)
	}
	return iso
}

// withoutElTorito copies the image and blanks the identifier of the
// copy's El Torito boot record, so that firmware finds no boot catalog and
// the MBR is the only way to the ESP.
func withoutElTorito(t *testing.T, iso string) string {
	dst := filepath.Join(t.TempDir(), "mbr-only.iso")
	if err := atomicfile.Copy(iso, dst, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(dst, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := readCatalog(f); err != nil {
		t.Fatal(err)
	}
	blank := make([]byte, len("EL TORITO SPECIFICATION"))
	if _, err := f.WriteAt(blank, bootRecordSector*SectorSize+7); err != nil {
		t.Fatal(err)
	}
	if _, err := readCatalog(f); err == nil {
		t.Fatal("the copy still has its boot record")
	}
	return dst
}

// systemdBoot returns systemd-boot's EFI binary from Debian's
// systemd-boot-efi package, fetched once into the test bed's cache with
// the machine's apt sources.
func systemdBoot(t *testing.T) string {
	const inPackage = "usr/lib/systemd/boot/efi/systemd-bootx64.efi"
	if p := "/" + inPackage; fileExists(p) {
		return p
	}
	cache, err := vm.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "systemd-boot-efi")
	if p := filepath.Join(dir, "root", inPackage); fileExists(p) {
		return p
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	dl := exec.Command("apt-get", "download", "systemd-boot-efi")
	dl.Dir = dir
	if out, err := dl.CombinedOutput(); err != nil {
		t.Fatalf("apt-get download systemd-boot-efi: %v\n%s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, "systemd-boot-efi_*.deb"))
	if len(debs) == 0 {
		t.Fatal("apt-get download left no systemd-boot-efi package")
	}
	run(t, "dpkg-deb", "-x", debs[0], filepath.Join(dir, "root"))
	return filepath.Join(dir, "root", inPackage)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

package isofs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/testenv"
)

var fixedTime = time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC)

// Files of Debian's isolinux and syslinux-common packages.
const (
	isolinuxBin = "/usr/lib/ISOLINUX/isolinux.bin"
	isohdpfxBin = "/usr/lib/ISOLINUX/isohdpfx.bin"
	ldlinuxC32  = "/usr/lib/syslinux/modules/bios/ldlinux.c32"
)

// needTool finds a program, skipping the test without it (failing in CI).
func needTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name+" is missing (Debian package "+pkg+")")
	}
	return p
}

// needFile skips the test without a file a Debian package installs
// (failing in CI).
func needFile(t testing.TB, path, pkg string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		missing(t, path+" is missing (Debian package "+pkg+")")
	}
}

func missing(t testing.TB, why string) {
	t.Helper()
	testenv.Missing(t, "%s", why)
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readAll(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// run runs a program and returns its output, failing the test on error.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// bootTree makes a tree like the installer medium's: ISOLINUX, an ESP
// image, and a .kubexm folder, and returns it with the options that boot
// it.
func bootTree(t testing.TB) (string, Options) {
	t.Helper()
	needFile(t, isolinuxBin, "isolinux")
	needFile(t, ldlinuxC32, "syslinux-common")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "isolinux/isolinux.bin"), readAll(t, isolinuxBin))
	writeFile(t, filepath.Join(dir, "isolinux/ldlinux.c32"), readAll(t, ldlinuxC32))
	writeFile(t, filepath.Join(dir, ".kubexm/manifest.json"), []byte("{}\n"))
	writeFile(t, filepath.Join(dir, ".kubexm/boot/vmlinuz"), bytes.Repeat([]byte("k"), 70000))

	src := filepath.Join(t.TempDir(), "BOOTX64.EFI")
	writeFile(t, src, bytes.Repeat([]byte("MZ"), 30000))
	esp := map[string]string{"EFI/BOOT/BOOTX64.EFI": src}
	if err := MakeESP(filepath.Join(dir, "boot/efi.img"), esp, fixedTime); err != nil {
		t.Fatal(err)
	}
	return dir, Options{Label: "KUBEXM", Time: fixedTime,
		BIOS:    &BIOSBoot{Loader: "isolinux/isolinux.bin", MBRCode: mbrCode(t)},
		EFI:     &EFIBoot{Image: "boot/efi.img"},
		Catalog: "isolinux/boot.cat"}
}

func mbrCode(t testing.TB) []byte {
	t.Helper()
	needFile(t, isohdpfxBin, "isolinux")
	return readAll(t, isohdpfxBin)
}

// xorrisoISO writes the tree with xorriso as Debian does, for reference:
// the same boot entries, an isohybrid MBR with an EFI partition, and no
// padding to a cylinder.
func xorrisoISO(t testing.TB, xorriso, dir, dst string) *exec.Cmd {
	return exec.Command(xorriso, "-as", "mkisofs", "-quiet", "-R", "-V", "KUBEXM", "-o", dst,
		"-isohybrid-mbr", isohdpfxBin, "-partition_cyl_align", "off",
		"-c", "isolinux/boot.cat", "-b", "isolinux/isolinux.bin",
		"-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
		"-eltorito-alt-boot", "-e", "boot/efi.img", "-no-emul-boot", "-isohybrid-gpt-basdat", dir)
}

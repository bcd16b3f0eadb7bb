package buildertest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubexm/kubexm/internal/testdebs"
	"github.com/kubexm/kubexm/profiles"
)

// bootPackages returns the index stanzas and lays out the .deb files of the
// profile's boot packages for amd64: the real kernel, isolinux,
// syslinux-common and systemd-boot-efi packages of this machine's apt
// sources (make-tar takes real files out of them, so stand-ins would not
// do), and the kernel metapackage as a stanza that names the kernel.
func bootPackages(t testing.TB, root string, prof *profiles.Profile) []byte {
	b := prof.Boot
	kernel := testdebs.Kernel(t, b.Kernel)
	debs := testdebs.Fetch(t, kernel, b.BIOS.Isolinux, b.BIOS.Syslinux, b.EFI)

	var idx bytes.Buffer
	fmt.Fprintf(&idx, "Package: %s\nVersion: 1.0-1\nArchitecture: amd64\nPriority: optional\n"+
		"Depends: %s\nDescription: stand-in kernel metapackage\n\n", b.Kernel, kernel)
	for _, name := range []string{kernel, b.BIOS.Isolinux, b.BIOS.Syslinux, b.EFI} {
		data, err := os.ReadFile(debs[name])
		if err != nil {
			t.Fatal(err)
		}
		rel := "pool/main/boot/" + filepath.Base(debs[name])
		put(t, filepath.Join(root, rel), data)
		fmt.Fprintf(&idx, "Package: %s\nVersion: 1.0-1\nArchitecture: amd64\nPriority: optional\n"+
			"Filename: %s\nSize: %d\nSHA256: %x\nDescription: real package\n\n", name, rel,
			len(data), sha256.Sum256(data))
	}
	return idx.Bytes()
}

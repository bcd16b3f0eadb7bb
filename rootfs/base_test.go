package rootfs

import (
	"errors"
	"strings"
	"testing"

	"github.com/kubexm/kubexm/internal/testenv"
	"github.com/kubexm/kubexm/rootfs/internal/newc"
)

// TestBase checks the archive make rootfs embedded: u-root's init, the
// busybox commands and, once the installer exists, the installer as
// uinit. Under CI=true, .ci/run runs make rootfs first, so a missing base
// fails.
func TestBase(t *testing.T) {
	base, err := Base()
	if errors.Is(err, ErrNoBase) {
		testenv.Missing(t, "%s", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := newc.CheckCRC32(base); err != nil {
		t.Fatal(err)
	}

	files := readCPIO(t, base)
	if files["init"] != "bbin/init" {
		t.Errorf("/init links to %q, want bbin/init", files["init"])
	}
	if len(files["bbin/bb"]) < 1<<20 || !strings.HasPrefix(files["bbin/bb"], "\x7fELF") {
		t.Errorf("/bbin/bb is not the busybox binary (%d bytes)", len(files["bbin/bb"]))
	}
	for _, cmd := range []string{"init", "ls", "cat", "mount", "umount", "ip", "dhclient",
		"dmesg", "ps", "cp", "mkdir", "echo", "gosh", "insmod", "more", "sleep", "uname",
		"df", "free"} {
		if files["bbin/"+cmd] != "bb" {
			t.Errorf("/bbin/%s = %q, want a link to bb", cmd, files["bbin/"+cmd])
		}
	}
	if files["bin/sh"] != "../bbin/gosh" {
		t.Errorf("/bin/sh links to %q", files["bin/sh"])
	}

	if !strings.HasPrefix(files["bin/kubexm-installer"], "\x7fELF") ||
		!strings.HasSuffix(files["bin/uinit"], "kubexm-installer") {
		t.Errorf("installer: /bin/kubexm-installer of %d bytes, /bin/uinit = %q",
			len(files["bin/kubexm-installer"]), files["bin/uinit"])
	}
}

package rootfs

import (
	"os"
	"strings"
	"testing"
)

// testIndex is a small modules.dep and modules.builtin in depmod's format.
func testIndex(t *testing.T) *moduleIndex {
	t.Helper()
	ix := newModuleIndex()
	dep := `kernel/drivers/cdrom/cdrom.ko:
kernel/fs/isofs/isofs.ko.xz: kernel/drivers/cdrom/cdrom.ko
kernel/drivers/scsi/scsi_common.ko:
kernel/drivers/scsi/scsi_mod.ko: kernel/drivers/scsi/scsi_common.ko
kernel/drivers/scsi/sr_mod.ko: kernel/drivers/cdrom/cdrom.ko kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko
kernel/drivers/ata/ata_piix.ko: kernel/drivers/ata/libata.ko
kernel/drivers/loop/a.ko: kernel/drivers/loop/b.ko
kernel/drivers/loop/b.ko: kernel/drivers/loop/a.ko
`
	if err := ix.parseModulesDep(strings.NewReader(dep)); err != nil {
		t.Fatal(err)
	}
	if err := ix.parseBuiltin(strings.NewReader("kernel/drivers/ata/libata.ko\nkernel/fs/ext4/ext4.ko\n")); err != nil {
		t.Fatal(err)
	}
	ix.aliases["fs-iso9660"] = "isofs"
	return ix
}

func TestClosure(t *testing.T) {
	tests := []struct {
		name    string
		modules []string
		want    string // load order, or the error's text
	}{
		{"dependencies first", []string{"sr_mod"}, "cdrom scsi_common scsi_mod sr_mod"},
		{"each once", []string{"sr_mod", "cdrom", "scsi_mod"}, "cdrom scsi_common scsi_mod sr_mod"},
		{"dash is underscore", []string{"sr-mod"}, "cdrom scsi_common scsi_mod sr_mod"},
		{"file system alias", []string{"iso9660"}, "cdrom isofs"},
		{"built-in skipped", []string{"ext4", "ata_piix"}, "ata_piix"},
		{"unknown name", []string{"cdrom", "nosuchmod"}, `error: kernel module "nosuchmod" is neither`},
		{"cycle", []string{"a"}, "error: kernel module a: dependency cycle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order, err := testIndex(t).closure(tt.modules)
			got := strings.Join(order, " ")
			if err != nil {
				got = "error: " + err.Error()
			}
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("closure(%v) = %q, want %q", tt.modules, got, tt.want)
			}
		})
	}
}

func TestParseModulesDepRefusesGarbage(t *testing.T) {
	err := newModuleIndex().parseModulesDep(strings.NewReader("kernel/a.ko:\nno colon here\n"))
	if err == nil || !strings.Contains(err.Error(), "modules.dep:2") {
		t.Fatalf("err = %v, want one naming modules.dep line 2", err)
	}
}

func TestModuleName(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/drivers/usb/storage/usb-storage.ko": "usb_storage",
		"kernel/fs/isofs/isofs.ko.zst":              "isofs",
		"ata-piix":                                  "ata_piix",
		"virtio_net":                                "virtio_net",
	} {
		if got := ModuleName(in); got != want {
			t.Errorf("ModuleName(%q) = %q, want %q", in, got, want)
		}
	}
}

func writeFile(t *testing.T, p, data string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

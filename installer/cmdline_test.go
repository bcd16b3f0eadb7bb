package installer

import (
	"strings"
	"testing"
)

func TestParseCmdline(t *testing.T) {
	tests := []struct {
		name, line string
		want       Cmdline
		label      string
	}{
		{name: "none", line: "console=ttyS0 quiet\n", label: BootLabel},
		{name: "label", line: "console=ttyS0 kubexm.label=KUBEXM quiet\n",
			want: Cmdline{Label: "KUBEXM", HasLabel: true}, label: "KUBEXM"},
		{name: "other label", line: "kubexm.label=SITE_B", want: Cmdline{Label: "SITE_B",
			HasLabel: true}, label: "SITE_B"},
		{name: "quoted", line: `init=/init kubexm.label="MY DISK" rw`,
			want: Cmdline{Label: "MY DISK", HasLabel: true}, label: "MY DISK"},
		{name: "empty value", line: "kubexm.label= x", want: Cmdline{HasLabel: true},
			label: BootLabel},
		{name: "prefix only", line: "kubexm.labels=X kubexm.label2=Y", label: BootLabel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseCmdline(tt.line)
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if got.BootLabel() != tt.label {
				t.Errorf("BootLabel() = %q, want %q", got.BootLabel(), tt.label)
			}
		})
	}
}

func TestParseModules(t *testing.T) {
	src := "# load order\n/lib/modules/6.12/kernel/fs/isofs/isofs.ko\n\n" +
		"  /lib/modules/6.12/kernel/drivers/net/virtio_net.ko.xz  \n"
	got, err := ParseModules(strings.NewReader(src), "modules")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/lib/modules/6.12/kernel/fs/isofs/isofs.ko",
		"/lib/modules/6.12/kernel/drivers/net/virtio_net.ko.xz"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %q, want %q", got, want)
	}

	for _, bad := range []string{"isofs.ko\n", "/lib/modules/x/README\n"} {
		_, err := ParseModules(strings.NewReader("# x\n"+bad), "modules")
		if err == nil || !strings.Contains(err.Error(), "modules:2: ") {
			t.Errorf("%q: got %v, want an error naming modules:2", bad, err)
		}
	}
}

func TestLoadModulesGoesOnAfterAFailure(t *testing.T) {
	mods := []string{"/m/a.ko", "/m/b.ko", "/m/c.ko", "/m/d.ko"}
	var tried []string
	loaded, failed := LoadModules(mods, func(p string) error {
		tried = append(tried, p)
		switch p {
		case "/m/b.ko":
			return ErrModuleLoaded
		case "/m/c.ko":
			return errUnknownSymbol
		}
		return nil
	}, func(string) {})

	if len(tried) != 4 || loaded != 2 {
		t.Errorf("tried %q, loaded %d; want all four tried and two loaded", tried, loaded)
	}
	if len(failed) != 1 || failed[0].Path != "/m/c.ko" {
		t.Errorf("failures %+v, want only c.ko", failed)
	}
}

type testError string

func (e testError) Error() string { return string(e) }

const errUnknownSymbol = testError("unknown symbol in module")

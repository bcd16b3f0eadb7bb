package rootfs

import (
	"bytes"
	"embed"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/cavaliergopher/cpio"
	"github.com/ulikunitz/xz"

	"github.com/kubexm/kubexm/installer"
	"github.com/kubexm/kubexm/internal/testdebs"
	"github.com/kubexm/kubexm/profiles"
	"github.com/kubexm/kubexm/rootfs/internal/newc"
)

// isoModules are the modules the profile has the installer load.
func isoModules(t *testing.T) []string {
	t.Helper()
	p, err := profiles.Default()
	if err != nil {
		t.Fatal(err)
	}
	return p.Boot.Modules
}

// kernelDeb is the newest Debian 12 kernel package of the apt sources.
func kernelDeb(t *testing.T) string {
	t.Helper()
	name := testdebs.Kernel(t, "linux-image-amd64")
	return testdebs.Fetch(t, name)[name]
}

// fakeBase stands in for the embedded base: a real archive of its own.
func fakeBase(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := newc.Write(&b, []newc.Entry{newc.Symlink("init", "bbin/init")}, newc.Epoch()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestAssembleRealKernel assembles an initramfs from the real kernel
// package twice, once with a built-in module added to the list, and
// checks the module order, the contents and that the bytes are the same.
func TestAssembleRealKernel(t *testing.T) {
	t.Parallel()
	deb, base := kernelDeb(t), fakeBase(t)
	extra := []File{{Path: "/etc/kubexm/hello", Mode: 0o600, Data: []byte("hi\n")}}

	var first, second bytes.Buffer
	k, err := Assemble(&first, Options{KernelDeb: deb, Modules: isoModules(t), Extra: extra, Base: base})
	if err != nil {
		t.Fatal(err)
	}
	builtin := aBuiltinModule(t, k)
	withBuiltin := append(isoModules(t), builtin)
	if _, err := Assemble(&second, Options{KernelDeb: deb, Modules: withBuiltin, Extra: extra,
		Base: base}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Errorf("asking for built-in %s too changed the initramfs (or it is not deterministic)", builtin)
	}

	if len(k.Image) < 1<<20 || !strings.HasPrefix(deb[strings.LastIndex(deb, "/")+1:], "linux-image-"+k.Release) {
		t.Errorf("kernel %q: image of %d bytes from %s", k.Release, len(k.Image), deb)
	}
	checkOrder(t, k)

	out := first.Bytes()
	if !bytes.HasPrefix(out, base) {
		t.Fatal("the initramfs does not start with the base archive")
	}
	if err := newc.CheckCRC32(out[len(base):]); err != nil {
		t.Fatalf("the modules' archive: %v", err)
	}
	files := readCPIO(t, out[len(base):])
	checkContents(t, k, files)
	if got := files["etc/kubexm/hello"]; got != "hi\n" {
		t.Errorf("extra file = %q", got)
	}
}

// checkOrder checks that every module comes after the modules that its
// own .modinfo section says it depends on (read here by a plain byte
// search, not by the ELF reader under test).
func checkOrder(t *testing.T, k *Kernel) {
	t.Helper()
	at := map[string]int{}
	for i, m := range k.Modules {
		at[m.Name] = i
	}
	for _, name := range []string{"isofs", "sr_mod", "ahci", "nvme", "virtio_net", "uas", "ext4"} {
		if _, ok := at[name]; !ok {
			t.Errorf("module %s missing from %v", name, names(k.Modules))
		}
	}
	for i, m := range k.Modules {
		for _, d := range rawDepends(t, m) {
			j, ok := at[d]
			switch {
			case !ok && !k.isBuiltin(d):
				t.Errorf("%s needs %s, which is neither listed nor built in", m.Name, d)
			case ok && j >= i:
				t.Errorf("%s (at %d) needs %s, listed later (at %d)", m.Name, i, d, j)
			}
		}
	}
}

func rawDepends(t *testing.T, m Module) []string {
	t.Helper()
	_, after, ok := bytes.Cut(m.Data, []byte("\x00depends="))
	if !ok {
		t.Fatalf("module %s: no depends= in its data", m.Name)
	}
	val, _, _ := bytes.Cut(after, []byte{0})
	var out []string
	for _, d := range strings.Split(string(val), ",") {
		if d != "" {
			out = append(out, ModuleName(d))
		}
	}
	return out
}

// checkContents compares the archive with the kernel's modules.
func checkContents(t *testing.T, k *Kernel, files map[string]string) {
	t.Helper()
	var want strings.Builder
	for _, m := range k.Modules {
		want.WriteString(m.Path + "\n")
		if files[strings.TrimPrefix(m.Path, "/")] != string(m.Data) {
			t.Errorf("%s: missing or not its uncompressed module", m.Path)
		}
		if !bytes.HasPrefix(m.Data, []byte("\x7fELF")) {
			t.Errorf("%s is not an ELF file", m.Path)
		}
	}
	if got := files["etc/kubexm/modules"]; got != want.String() {
		t.Errorf("order file:\n%s\nwant:\n%s", got, want.String())
	}
	dep := files["lib/modules/"+k.Release+"/modules.dep"]
	if !strings.Contains(dep, "kernel/fs/isofs/isofs.ko: kernel/drivers/cdrom/cdrom.ko\n") {
		t.Errorf("modules.dep lacks isofs's line:\n%s", dep)
	}
	if files["lib/modules/"+k.Release+"/modules.builtin"] != string(k.Builtin) {
		t.Error("modules.builtin is not the package's")
	}
}

func TestAssembleUnknownModule(t *testing.T) {
	t.Parallel()
	_, err := Assemble(io.Discard, Options{KernelDeb: kernelDeb(t),
		Modules: []string{"cdrom", "no_such_module"}, Base: fakeBase(t)})
	if err == nil || !strings.Contains(err.Error(), `"no_such_module"`) {
		t.Fatalf("err = %v, want one naming no_such_module", err)
	}
}

func TestAssembleBadPackage(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"empty.deb": "", "text.deb": "not a deb",
		"nodata.deb": "!<arch>\ndebian-binary   0           0     0     100644  4         `\n2.0\n",
	} {
		p := dir + "/" + name
		writeFile(t, p, data)
		_, err := Assemble(io.Discard, Options{KernelDeb: p, Base: fakeBase(t)})
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v, want one naming the file", name, err)
		}
	}
}

func TestAssembleWithoutBase(t *testing.T) {
	// A build without make rootfs embeds no base: an empty dist.
	embedded := dist
	dist = embed.FS{}
	t.Cleanup(func() { dist = embedded })

	_, err := Assemble(io.Discard, Options{KernelDeb: "unused.deb"})
	if !errors.Is(err, ErrNoBase) || !strings.Contains(err.Error(), "run make rootfs") {
		t.Fatalf("err = %v, want ErrNoBase", err)
	}
}

// aBuiltinModule is a module the package lists in modules.builtin.
func aBuiltinModule(t *testing.T, k *Kernel) string {
	t.Helper()
	line, _, _ := strings.Cut(string(k.Builtin), "\n")
	if line == "" {
		t.Fatal("the package's modules.builtin is empty")
	}
	return ModuleName(line)
}

func readCPIO(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := xz.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	cr := cpio.NewReader(zr)
	files := map[string]string{}
	for {
		h, err := cr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Guid != 0 || h.ModTime.Unix() != newc.Epoch().Unix() {
			t.Errorf("%s: owner %d:%d, mtime %v", h.Name, h.Uid, h.Guid, h.ModTime)
		}
		body, err := io.ReadAll(cr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = string(body)
		if h.Linkname != "" {
			files[h.Name] = h.Linkname
		}
	}
}

func names(ms []Module) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

// isBuiltin reports whether modules.builtin lists the module name.
func (k *Kernel) isBuiltin(name string) bool {
	for _, line := range strings.Split(string(k.Builtin), "\n") {
		if line != "" && ModuleName(line) == name {
			return true
		}
	}
	return false
}

// The installer loads the modules from the order file this package writes:
// the two must name the same path, or the seed boots with no drivers.
func TestModuleOrderFileIsTheInstallers(t *testing.T) {
	if ModuleOrderFile != installer.ModulesFile {
		t.Errorf("the initramfs lists its modules in %s, the installer reads %s",
			ModuleOrderFile, installer.ModulesFile)
	}
}

package rootfs

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/kubexm/kubexm/internal/atomicfile"
	"github.com/kubexm/kubexm/rootfs/internal/newc"
)

// ModuleOrderFile is where the initramfs lists the modules to load; the
// format is described in the package documentation.
const ModuleOrderFile = "/etc/kubexm/modules"

// Options say what goes into an initramfs besides the base.
type Options struct {
	// KernelDeb is the path of a Debian kernel package (linux-image-*).
	KernelDeb string
	// Modules names the kernel modules to load at boot; their
	// dependencies are added. '-' and '_' are alike; a file system may be
	// named as such (iso9660 for isofs).
	Modules []string
	// Extra are more files for the initramfs.
	Extra []File
	// Base replaces the embedded base archive when set (for tests).
	Base []byte

	// Kernel and Initramfs are the files Build writes.
	Kernel, Initramfs string
	// Time is the modification time of the entries Assemble adds; when
	// zero, SOURCE_DATE_EPOCH or else the Unix epoch.
	Time time.Time
}

// File is one file to add to the initramfs.
type File struct {
	// Path is the absolute path in the initramfs.
	Path string
	Mode fs.FileMode
	Data []byte
}

// Assemble writes the initramfs to w: the base archive, then one more
// xz-compressed cpio archive with the kernel's modules, the module order
// file and opts.Extra. It returns the kernel, whose Image is what boots
// with it. The same options give the same bytes.
func Assemble(w io.Writer, opts Options) (*Kernel, error) {
	base := opts.Base
	if base == nil {
		b, err := Base()
		if err != nil {
			return nil, err
		}
		base = b
	}
	if opts.KernelDeb == "" {
		return nil, fmt.Errorf("initramfs: no kernel package given (Options.KernelDeb)")
	}

	k, err := ReadKernel(opts.KernelDeb, opts.Modules)
	if err != nil {
		return nil, err
	}
	entries, err := kernelEntries(k, opts.Extra)
	if err != nil {
		return nil, err
	}

	if _, err := w.Write(base); err != nil {
		return nil, fmt.Errorf("writing the initramfs base: %w", err)
	}
	epoch := opts.Time
	if epoch.IsZero() {
		epoch = newc.Epoch()
	}
	if err := newc.Write(w, entries, epoch); err != nil {
		return nil, fmt.Errorf("writing the initramfs modules: %w", err)
	}
	return k, nil
}

// Build assembles the initramfs into the file opts.Initramfs and writes
// the kernel image to opts.Kernel, each through a temporary file.
func Build(opts Options) (*Kernel, error) {
	if opts.Kernel == "" || opts.Initramfs == "" {
		return nil, fmt.Errorf("initramfs: Options.Kernel and Options.Initramfs name the files to write")
	}
	var k *Kernel
	err := atomicfile.From(opts.Initramfs, 0o644, func(w io.Writer) error {
		var err error
		k, err = Assemble(w, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(opts.Kernel, k.Image, 0o644); err != nil {
		return nil, fmt.Errorf("writing kernel %s: %w", opts.Kernel, err)
	}
	return k, nil
}

// kernelEntries lays out the second archive.
func kernelEntries(k *Kernel, extra []File) ([]newc.Entry, error) {
	var order, dep strings.Builder
	var out []newc.Entry
	modDir := path.Join("lib/modules", k.Release)
	byName := map[string]Module{}
	for _, m := range k.Modules {
		byName[m.Name] = m
	}
	for _, m := range k.Modules {
		out = append(out, newc.File(m.Path, 0o644, m.Data))
		order.WriteString(m.Path + "\n")
		dep.WriteString(depLine(k, byName, m))
	}
	out = append(out,
		newc.File(ModuleOrderFile, 0o644, []byte(order.String())),
		newc.File(path.Join(modDir, "modules.dep"), 0o644, []byte(dep.String())),
		newc.File(path.Join(modDir, "modules.builtin"), 0o644, k.Builtin),
	)
	for _, f := range extra {
		if !path.IsAbs(f.Path) {
			return nil, fmt.Errorf("initramfs extra file %q: path is not absolute", f.Path)
		}
		out = append(out, newc.File(f.Path, f.Mode, f.Data))
	}
	return out, nil
}

// depLine is m's line of modules.dep in depmod's format: paths relative
// to the release's folder, every module m needs directly or not, listed
// so that loading them from the last to the first works.
func depLine(k *Kernel, byName map[string]Module, m Module) string {
	rel := func(p string) string {
		return strings.TrimPrefix(p, "/lib/modules/"+k.Release+"/")
	}
	needed := map[string]bool{}
	var need func(names []string)
	need = func(names []string) {
		for _, n := range names {
			if o, ok := byName[n]; ok && !needed[n] {
				needed[n] = true
				need(o.Deps)
			}
		}
	}
	need(m.Deps)

	line := rel(m.Path) + ":"
	for i := len(k.Modules) - 1; i >= 0; i-- {
		if o := k.Modules[i]; needed[o.Name] {
			line += " " + rel(o.Path)
		}
	}
	return line + "\n"
}

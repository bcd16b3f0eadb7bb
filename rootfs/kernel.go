package rootfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Kernel is what a Debian kernel package (linux-image-<release>) gives the
// initramfs: the kernel image and the modules asked for.
type Kernel struct {
	// Release is the kernel release, as uname -r prints it.
	Release string
	// Image is boot/vmlinuz-<release>.
	Image []byte
	// Modules are the modules asked for with their dependencies, in load
	// order, uncompressed. Modules built into the image are not here.
	Modules []Module
	// Builtin is the package's modules.builtin.
	Builtin []byte
}

// Module is one loadable kernel module.
type Module struct {
	// Name is the kernel's name for it (ata_piix).
	Name string
	// Path is where it lives on the booted system:
	// /lib/modules/<release>/kernel/.../<name>.ko.
	Path string
	// Deps are the names of the modules it needs.
	Deps []string
	// Data is the uncompressed module file.
	Data []byte
}

// ReadKernel reads the kernel image and the modules that names need out
// of the Debian kernel package at debPath. The package is streamed twice,
// once to learn the modules' dependencies and once to take the files
// needed, and never unpacked to disk.
func ReadKernel(debPath string, names []string) (*Kernel, error) {
	k, ix, err := scanKernel(debPath)
	if err != nil {
		return nil, err
	}
	order, err := ix.closure(names)
	if err != nil {
		return nil, fmt.Errorf("%s (kernel %s): %w", debPath, k.Release, err)
	}
	if err := readModules(debPath, k, ix, order); err != nil {
		return nil, err
	}
	return k, nil
}

// scanKernel is the first pass: the image, the release and the index.
func scanKernel(debPath string) (*Kernel, *moduleIndex, error) {
	k := &Kernel{}
	ix := newModuleIndex()
	haveDep := false
	var modinfo []error
	err := walkDeb(debPath, func(f debFile) error {
		switch rel, rest, inModules := modulesPath(f.Name); {
		case strings.HasPrefix(f.Name, "boot/vmlinuz-"):
			k.Release = strings.TrimPrefix(f.Name, "boot/vmlinuz-")
			return readAll(f, &k.Image)
		case inModules && rest == "modules.dep":
			haveDep = true
			return ix.parseModulesDep(f.Body)
		case inModules && rest == "modules.builtin":
			if err := readAll(f, &k.Builtin); err != nil {
				return err
			}
			return ix.parseBuiltin(bytes.NewReader(k.Builtin))
		case inModules && isModule(rest):
			data, err := readModuleFile(f.Name, f.Body)
			if err != nil {
				return err
			}
			if err := ix.addModinfo(rest, data); err != nil {
				modinfo = append(modinfo, fmt.Errorf("kernel %s: %w", rel, err))
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, nil, err
	case k.Release == "":
		return nil, nil, fmt.Errorf("%s: no boot/vmlinuz-<release> in the package", debPath)
	case len(modinfo) > 0 && !haveDep:
		return nil, nil, fmt.Errorf("%s: %w", debPath, modinfo[0])
	}
	return k, ix, nil
}

// readModules is the second pass: the files of the modules in order.
func readModules(debPath string, k *Kernel, ix *moduleIndex, order []string) error {
	want := map[string]string{} // package path -> module name
	for _, name := range order {
		want[path.Join("lib/modules", k.Release, ix.files[name])] = name
	}
	data := map[string][]byte{}
	err := walkDeb(debPath, func(f debFile) error {
		name, ok := want[f.Name]
		if !ok {
			return nil
		}
		b, err := readModuleFile(f.Name, f.Body)
		if err != nil {
			return err
		}
		data[name] = b
		if len(data) == len(want) {
			return errAllRead // the rest of the package is not needed
		}
		return nil
	})
	if err != nil && !errors.Is(err, errAllRead) {
		return err
	}

	for _, name := range order {
		if data[name] == nil {
			return fmt.Errorf("%s: module file %s is listed but not in the package",
				debPath, ix.files[name])
		}
		k.Modules = append(k.Modules, Module{
			Name: name,
			Path: "/" + path.Join("lib/modules", k.Release, moduleStem(ix.files[name])+".ko"),
			Deps: ix.deps[name],
			Data: data[name],
		})
	}
	return nil
}

// errAllRead stops a walk that has found every file it wanted.
var errAllRead = errors.New("all files read")

// modulesPath splits lib/modules/<release>/<rest>.
func modulesPath(name string) (release, rest string, ok bool) {
	after, ok := strings.CutPrefix(name, "lib/modules/")
	if !ok {
		return "", "", false
	}
	release, rest, ok = strings.Cut(after, "/")
	return release, rest, ok
}

func readAll(f debFile, into *[]byte) error {
	b, err := io.ReadAll(f.Body)
	if err != nil {
		return fmt.Errorf("reading %s: %w", f.Name, err)
	}
	*into = b
	return nil
}

package rootfs

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// moduleIndex is what a kernel's modules.dep and modules.builtin say:
// each loadable module's file and the modules it needs, by module name.
type moduleIndex struct {
	// files maps a module to its file, relative to lib/modules/<release>
	// and as the package names it (possibly compressed).
	files map[string]string
	// deps maps a module to the modules it needs, in modules.dep order.
	deps map[string][]string
	// builtin holds the modules compiled into the kernel image.
	builtin map[string]bool
	// aliases maps a module's exact aliases (fs-iso9660) to its name.
	aliases map[string]string
}

func newModuleIndex() *moduleIndex {
	return &moduleIndex{files: map[string]string{}, deps: map[string][]string{},
		builtin: map[string]bool{}, aliases: map[string]string{}}
}

// ModuleName is the kernel's name for a module: the file's base name
// without suffixes, with '-' read as '_' (the kernel treats them alike,
// so ata-piix and ata_piix are one module).
func ModuleName(s string) string {
	s = path.Base(s)
	if stem := moduleStem(s); stem != "" {
		s = stem
	}
	return strings.ReplaceAll(s, "-", "_")
}

// parseModulesDep reads modules.dep ("kernel/a.ko: kernel/b.ko ...") into ix.
func (ix *moduleIndex) parseModulesDep(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		file, deps, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			return fmt.Errorf("modules.dep:%d: no ':' after the module file", n)
		}
		name := ModuleName(file)
		ix.files[name] = strings.TrimSpace(file)
		ix.deps[name] = nil
		for _, d := range strings.Fields(deps) {
			ix.deps[name] = append(ix.deps[name], ModuleName(d))
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading modules.dep: %w", err)
	}
	return nil
}

// parseBuiltin reads modules.builtin, one module file per line.
func (ix *moduleIndex) parseBuiltin(r io.Reader) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			ix.builtin[ModuleName(line)] = true
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading modules.builtin: %w", err)
	}
	return nil
}

// addModinfo records a module from its own .modinfo section (name= and
// depends=), which is where depmod takes modules.dep from. Debian's
// kernel packages ship no modules.dep (the package's postinst runs
// depmod), so this is how their dependencies are known.
func (ix *moduleIndex) addModinfo(file string, ko []byte) error {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return fmt.Errorf("reading module %s: %w", file, err)
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return fmt.Errorf("module %s has no .modinfo section", file)
	}
	info, err := sec.Data()
	if err != nil {
		return fmt.Errorf("reading .modinfo of %s: %w", file, err)
	}

	name, deps, aliases := ModuleName(file), []string(nil), []string(nil)
	for _, field := range bytes.Split(info, []byte{0}) {
		key, val, _ := strings.Cut(string(field), "=")
		switch key {
		case "name":
			name = ModuleName(val)
		case "alias":
			if !strings.ContainsAny(val, "*?[") {
				aliases = append(aliases, val)
			}
		case "depends":
			for _, d := range strings.Split(val, ",") {
				if d != "" {
					deps = append(deps, ModuleName(d))
				}
			}
		}
	}
	sort.Strings(deps)
	if _, known := ix.files[name]; !known { // modules.dep, when read, wins
		ix.files[name] = file
		ix.deps[name] = deps
	}
	for _, a := range aliases {
		ix.aliases[a] = name
	}
	return nil
}

// resolve finds the module a requested name means: the module itself or,
// for a file system, the module that provides it (iso9660 is the alias
// fs-iso9660 of isofs).
func (ix *moduleIndex) resolve(name string) string {
	name = ModuleName(name)
	if _, ok := ix.files[name]; ok || ix.builtin[name] {
		return name
	}
	for _, a := range []string{name, "fs-" + name} {
		if m, ok := ix.aliases[a]; ok {
			return m
		}
	}
	return name
}

// closure lists the modules to load for names, dependencies first, each
// once. Built-in modules are left out; a name that is neither a module
// nor built in is an error naming it.
func (ix *moduleIndex) closure(names []string) ([]string, error) {
	var order []string
	state := map[string]int{} // 1: being visited, 2: done
	var visit func(name, from string) error
	visit = func(name, from string) error {
		switch {
		case state[name] == 2 || ix.builtin[name]:
			return nil
		case state[name] == 1:
			return fmt.Errorf("kernel module %s: dependency cycle through %s", name, from)
		}
		if _, ok := ix.files[name]; !ok {
			if from != "" {
				return fmt.Errorf("kernel module %s, needed by %s, is not in the kernel package", name, from)
			}
			return fmt.Errorf("kernel module %q is neither a module of the kernel package nor built in", name)
		}
		state[name] = 1
		for _, d := range ix.deps[name] {
			if err := visit(d, name); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, name)
		return nil
	}
	for _, n := range names {
		if err := visit(ix.resolve(n), ""); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// Command mkbase builds the base initramfs that kubexm-builder embeds: a
// u-root busybox binary holding u-root's core commands, and the kubexm
// installer as a program of its own, set as u-root's uinit. It runs from
// this module (make rootfs), so the commands build at the versions go.mod
// pins, and writes a reproducible xz-compressed cpio archive.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/u-root/gobusybox/src/pkg/golang"
	ucpio "github.com/u-root/mkuimage/cpio"
	"github.com/u-root/mkuimage/uimage"
	"github.com/u-root/mkuimage/uimage/builder"
	"github.com/u-root/mkuimage/uimage/initramfs"
	"github.com/u-root/uio/llog"

	"github.com/kubexm/kubexm/internal/atomicfile"
	"github.com/kubexm/kubexm/rootfs/internal/newc"
)

// installerPkg is the kubexm installer. It becomes /bin/kubexm-installer
// and u-root's init runs it (as /bin/uinit) once the system is up.
const installerPkg = "github.com/kubexm/kubexm/cmd/kubexm-installer"

// uinitName is the installer's command name, which u-root's init runs.
const uinitName = "kubexm-installer"

// coreCommands are the u-root commands of the initramfs: enough to mount
// the boot medium, bring up the network and look around by hand when the
// installer stops. tools.go lists the same packages so go.mod keeps them.
var coreCommands = []string{
	"cat", "cp", "df", "dhclient", "dmesg", "echo", "free", "gosh", "init",
	"insmod", "ip", "ls", "lsmod", "mkdir", "more", "mount", "ps", "rmmod",
	"sleep", "umount", "uname",
}

func main() {
	out := flag.String("o", "rootfs/dist/base.cpio.xz", "archive to write")
	arch := flag.String("arch", "amd64", "GOARCH of the initramfs")
	flag.Parse()

	if err := run(*out, *arch); err != nil {
		log.Fatalf("mkbase: %v", err)
	}
}

func run(out, arch string) error {
	start := time.Now()
	archive, err := build(packages(), arch)
	if err != nil {
		return err
	}

	var buf bytes.Buffer
	if err := newc.Write(&buf, archive, newc.Epoch()); err != nil {
		return err
	}
	// Written whole or not at all: go:embed must not pick up half an archive.
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := atomicfile.Write(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	log.Printf("mkbase: wrote %s (%d bytes, %d entries, uinit %q) in %s",
		out, buf.Len(), len(archive), uinitName, time.Since(start).Round(time.Second))
	return nil
}

// packages lists what to build: u-root's core commands, and the installer
// as uinit.
func packages() []string {
	var pkgs []string
	for _, c := range coreCommands {
		pkgs = append(pkgs, "github.com/u-root/u-root/cmds/core/"+c)
	}
	return pkgs
}

// build runs u-root's busybox builder and returns the archive's entries.
func build(pkgs []string, arch string) ([]newc.Entry, error) {
	tmp, err := os.MkdirTemp("", "kubexm-mkbase-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	env := golang.Default(golang.DisableCGO(), golang.WithGOOS("linux"),
		golang.WithGOARCH(arch))
	mem := &initramfs.Archive{Archive: ucpio.InMemArchive()}
	// The installer is a binary of its own (/bin/kubexm-installer), not a
	// busybox command: in one binary, its dependencies' init functions
	// would run in every command (helm's, when the installer still linked
	// the builder, panicked without the module build information a
	// busybox build lacks).
	cmds := []uimage.Modifier{
		uimage.WithCommands(&golang.BuildOpts{}, &builder.GBBBuilder{}, pkgs...),
		uimage.WithCommands(&golang.BuildOpts{}, builder.BinaryBuilder{}, installerPkg),
	}
	err = uimage.Create(llog.New(slog.LevelWarn, log.Printf), append(cmds,
		uimage.WithReplaceEnv(env),
		uimage.WithTempDir(tmp),
		uimage.WithInit("init"),
		uimage.WithUinitCommand(uinitName),
		uimage.WithShell("gosh"),
		uimage.WithSkipLDD(),
		uimage.WithOutput(mem),
	)...)
	if err != nil {
		return nil, fmt.Errorf("building the u-root busybox: %w", err)
	}
	out, err := entries(mem.Archive)
	if err != nil {
		return nil, err
	}
	return dedupe(append(out, mountPoints()...)), nil
}

// mountPoints are the folders u-root's init mounts file systems on, made
// here so that the archive shows the system's shape on its own.
func mountPoints() []newc.Entry {
	return []newc.Entry{
		newc.Dir("dev", 0o755), newc.Dir("etc", 0o755), newc.Dir("proc", 0o555),
		newc.Dir("run", 0o755), newc.Dir("sys", 0o555),
		newc.Dir("tmp", 0o777|os.ModeSticky),
	}
}

// entries turns u-root's records into archive entries. Device nodes are
// left out: the kernel's own built-in initramfs already holds
// /dev/console, and u-root's init mounts devtmpfs on /dev.
func entries(a *ucpio.Archive) ([]newc.Entry, error) {
	var out []newc.Entry
	for _, name := range a.Order {
		r := a.Files[name]
		if name == "." || name == "" {
			continue
		}
		mode := os.FileMode(r.Mode & 0o777)
		switch r.Mode & ucpio.S_IFMT {
		case ucpio.S_IFDIR:
			out = append(out, newc.Dir(name, mode))
		case ucpio.S_IFLNK:
			target, err := content(r)
			if err != nil {
				return nil, err
			}
			out = append(out, newc.Symlink(name, string(target)))
		case ucpio.S_IFREG:
			data, err := content(r)
			if err != nil {
				return nil, err
			}
			out = append(out, newc.File(name, mode, data))
		}
	}
	return out, nil
}

// dedupe keeps the last entry of each name, as the kernel would when it
// unpacks an archive that names a file twice.
func dedupe(in []newc.Entry) []newc.Entry {
	last := map[string]int{}
	for i, e := range in {
		last[e.Name] = i
	}
	var out []newc.Entry
	for i, e := range in {
		if last[e.Name] == i {
			out = append(out, e)
		}
	}
	return out
}

func content(r ucpio.Record) ([]byte, error) {
	data, err := io.ReadAll(io.NewSectionReader(r.ReaderAt, 0, int64(r.FileSize)))
	if err != nil {
		return nil, fmt.Errorf("reading %s from the u-root build: %w", r.Name, err)
	}
	return data, nil
}

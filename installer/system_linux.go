package installer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// realSystem makes the system calls of the initramfs.
type realSystem struct {
	console *os.File
}

// NewSystem returns the System of the machine the installer runs on;
// passwords are asked for on the terminal console.
func NewSystem(console *os.File) System { return realSystem{console: console} }

// LoadModule loads the module with finit_module(2), which reads the file
// in the kernel: no copy of it passes through this process.
func (realSystem) LoadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	err = unix.FinitModule(int(f.Fd()), "", 0)
	if errors.Is(err, unix.EEXIST) {
		return ErrModuleLoaded
	}
	return err
}

// Mount mounts read-only; the medium is never written.
func (realSystem) Mount(device, dir, fstype string) error {
	return unix.Mount(device, dir, fstype, unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, "")
}

func (realSystem) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

func (realSystem) Addresses(iface string) []string {
	i, err := net.InterfaceByName(iface)
	if err != nil {
		return nil
	}
	addrs, err := i.Addrs()
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && !ip.IP.IsLinkLocalUnicast() {
			out = append(out, a.String())
		}
	}
	return out
}

// ReadPassword reads a line from the console with echo off.
func (s realSystem) ReadPassword(prompt string) (string, error) {
	fd := int(s.console.Fd())
	if !term.IsTerminal(fd) {
		return "", fmt.Errorf("the console is not a terminal to ask for a password on")
	}
	fmt.Fprint(s.console, prompt)
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(s.console)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return string(pw), nil
}

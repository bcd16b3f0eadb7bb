//go:build !linux

package installer

import (
	"context"
	"errors"
	"os"
)

var errNotLinux = errors.New("the installer runs only on Linux")

type otherSystem struct{}

// NewSystem returns a System that refuses everything: the installer runs
// only in the Linux initramfs of the kubexm ISO.
func NewSystem(*os.File) System { return otherSystem{} }

func (otherSystem) LoadModule(string) error            { return errNotLinux }
func (otherSystem) Mount(string, string, string) error { return errNotLinux }
func (otherSystem) Run(context.Context, string, ...string) ([]byte, error) {
	return nil, errNotLinux
}
func (otherSystem) Addresses(string) []string           { return nil }
func (otherSystem) ReadPassword(string) (string, error) { return "", errNotLinux }

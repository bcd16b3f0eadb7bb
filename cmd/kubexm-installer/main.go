// Command kubexm-installer is the installer of the kubexm ISO: the u-root
// initramfs runs it as uinit on the seed node. See package installer.
package main

import (
	"os"

	"github.com/kubexm/kubexm/installer"
)

func main() {
	os.Exit(installer.Main(os.Args[1:], os.Stdout, os.Stderr))
}

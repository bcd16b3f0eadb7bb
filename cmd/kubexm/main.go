// Command kubexm installs Kubernetes clusters over SSH, online or from an
// air-gapped bundle. See `kubexm --help`.
package main

import (
	"os"

	"github.com/kubexm/kubexm/internal/cli"
)

func main() {
	os.Exit(cli.Execute(cli.NewKubexm()))
}

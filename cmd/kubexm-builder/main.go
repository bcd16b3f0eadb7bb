// Command kubexm-builder collects everything a Kubernetes cluster needs into
// one bundle for an air-gapped site. See `kubexm-builder --help`.
package main

import (
	"os"

	"github.com/kubexm/kubexm/internal/cli"
	"github.com/kubexm/kubexm/internal/cli/buildercmd"
)

func main() {
	os.Exit(cli.Execute(buildercmd.NewBuilder()))
}

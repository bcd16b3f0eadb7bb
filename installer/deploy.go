package installer

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/kubexm/kubexm/internal/cli"
)

// deployCommands are the kubexm commands the seed runs, in order, against
// the derived config: the same commands an operator would type on a
// control machine. Today that is preflight; swap is only a warning, since
// the install that follows turns it off.
//
// TODO: append create (kubexm create --mode offline, artifacts read from
// the medium in place) once the create pipeline exists.
func deployCommands(p Paths, tofu bool) [][]string {
	common := []string{"-f", p.DerivedConfig(), "--mode", "offline",
		"--workdir", p.WorkDir(), "--known-hosts", p.KnownHosts()}
	if tofu {
		common = append(common, "--trust-on-first-use")
	}
	return [][]string{
		append([]string{"preflight", "--swap-will-be-off"}, common...),
	}
}

// deploy runs each of cmds with the kubexm command line in this process,
// its output going to out, and stops at the first that fails.
func deploy(ctx context.Context, out io.Writer, cmds [][]string) error {
	for _, args := range cmds {
		root := cli.NewKubexm()
		root.SetArgs(args)
		root.SetOut(out)
		root.SetErr(out)
		if code := cli.ExecuteContext(ctx, root); code != 0 {
			return fmt.Errorf("kubexm %s exited with code %d", args[0], code)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("kubexm %s: %w", strings.Join(args[:1], " "), err)
		}
	}
	return nil
}

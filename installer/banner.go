package installer

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kubexm/kubexm/internal/config"
)

// The fixed console lines of the installer, for people and for the e2e
// test that boots the ISO and reads the serial console. See the package
// documentation.
const (
	// LinePrefix starts every fixed line.
	LinePrefix = "kubexm installer: "
	// SuccessLine is the last line of a run whose deployment passed.
	SuccessLine = LinePrefix + "preflight passed"
	// FailurePrefix starts the line of a run that failed; the reason and
	// the log's path follow.
	FailurePrefix = LinePrefix + "failed: "
)

// BannerFirstLine is the first line of the banner: the installer's version
// and the cluster it deploys.
func BannerFirstLine(version string, c *config.Cluster) string {
	return fmt.Sprintf("%s%s, cluster %s", LinePrefix, version, c.Metadata.Name)
}

// FailureLine is the line a failed run ends with.
func FailureLine(reason error, log string) string {
	return fmt.Sprintf("%s%v; log: %s", FailurePrefix, reason, log)
}

// SeedAddress says how the seed is reached, for the banner.
type SeedAddress struct {
	Interface string
	// Addresses are the interface's addresses once it is up.
	Addresses []string
	DHCP      bool
}

func (a SeedAddress) String() string {
	how := "static"
	if a.DHCP {
		how = "DHCP"
	}
	addrs := strings.Join(a.Addresses, ", ")
	if addrs == "" {
		addrs = "no address yet"
	}
	return fmt.Sprintf("%s on %s (%s)", addrs, a.Interface, how)
}

// WriteBanner writes what the installer is about to do: to which hosts,
// in which roles, from which seed address, and where the log is.
func WriteBanner(w io.Writer, version string, c *config.Cluster, seed SeedAddress,
	log string) error {

	var b strings.Builder
	b.WriteString(BannerFirstLine(version, c) + "\n")
	fmt.Fprintf(&b, "  deploys to %s:\n", plural(len(c.Spec.Hosts), "host"))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, h := range c.Spec.Hosts {
		roles := strings.Join(c.Roles(h.Name), ", ")
		if roles == "" {
			roles = "(jump host)"
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\n", h.Name, h.Address, roles)
	}
	_ = tw.Flush() // writes to a strings.Builder, which cannot fail
	fmt.Fprintf(&b, "  seed: %s\n", seed)
	fmt.Fprintf(&b, "  log:  %s\n", log)

	_, err := io.WriteString(w, b.String())
	return err
}

// plural writes n things, with an s unless there is one.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

package mirror

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// debianPackages are the userland of the images that program the kernel's packet filter:
// kube-proxy and flanneld call iptables and nft, and flannel's CNI plugin image is emptied
// by a cp. Upstream takes them from distroless Debian or Alpine; the mirror takes them from
// the Debian archive that the machine's apt sources name, with their dependencies.
var debianPackages = []string{"libc6", "iptables", "nftables", "coreutils"}

// iptablesLinks are the names Debian's alternatives system points at the nft variant of
// iptables when the package is installed; unpacking the package does not run that step.
var iptablesLinks = []string{"iptables", "iptables-save", "iptables-restore", "ip6tables",
	"ip6tables-save", "ip6tables-restore"}

// debianRoot returns a folder holding the unpacked Debian userland of the host's arch,
// downloading and unpacking the packages when the cache does not have them.
func (b *builder) debianRoot(ctx context.Context) (string, error) {
	out := filepath.Join(b.Cache, "debian", "root")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}

	unlock, err := b.lock()
	if err != nil {
		return "", err
	}
	defer unlock()

	b.logf("downloading Debian packages %s", strings.Join(debianPackages, " "))
	debs := filepath.Join(b.Cache, "debian", "debs")
	if err := downloadDebs(ctx, debs); err != nil {
		return "", err
	}
	return out, unpackDebs(ctx, debs, out)
}

// downloadDebs fetches debianPackages and everything they depend on into dir.
func downloadDebs(ctx context.Context, dir string) error {
	args := []string{"depends", "--recurse", "--no-recommends", "--no-suggests",
		"--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"}
	out, err := exec.CommandContext(ctx, "apt-cache", append(args, debianPackages...)...).Output()
	if err != nil {
		return fmt.Errorf("resolving dependencies of %v with apt-cache: %w", debianPackages, err)
	}
	names := packageNames(out)

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	cmd := exec.CommandContext(ctx, "apt-get", append([]string{"download", "-q"}, names...)...)
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("downloading Debian packages %v: %w: %s", names, err, msg)
	}
	return nil
}

// packageNames picks the package names out of apt-cache depends --recurse: the lines that
// are not indented, less virtual packages (in angle brackets).
func packageNames(out []byte) []string {
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == ' ' || line[0] == '<' || slices.Contains(names, line) {
			continue
		}
		names = append(names, line)
	}
	return names
}

// unpackDebs unpacks every .deb of dir into out, and makes the links that the packages'
// install scripts would have made.
func unpackDebs(ctx context.Context, dir, out string) error {
	debs, err := filepath.Glob(filepath.Join(dir, "*.deb"))
	if err != nil || len(debs) == 0 {
		return fmt.Errorf("finding the downloaded packages in %s: none there (%v)", dir, err)
	}

	tmp := out + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("clearing %s: %w", tmp, err)
	}
	for _, deb := range debs {
		cmd := exec.CommandContext(ctx, "dpkg-deb", "-x", deb, tmp)
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("unpacking %s: %w: %s", deb, err, msg)
		}
	}

	for _, name := range iptablesLinks {
		if err := os.Symlink("xtables-nft-multi", filepath.Join(tmp, "usr", "sbin", name)); err != nil {
			return fmt.Errorf("linking %s to the nft variant: %w", name, err)
		}
	}
	return os.Rename(tmp, out)
}

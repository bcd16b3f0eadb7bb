package host

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// factsScript prints one key=value line per fact. It needs only a POSIX
// shell and coreutils, and each line falls back to something that exists on
// busybox systems too.
const factsScript = `( . /etc/os-release 2>/dev/null || . /usr/lib/os-release 2>/dev/null
  echo "id=$ID"; echo "version=$VERSION_ID" )
echo "arch=$(uname -m)"
echo "kernel=$(uname -r)"
echo "cpus=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
while read -r k v _; do
  case $k in MemTotal:) echo "memkb=$v";; SwapTotal:) echo "swapkb=$v";; esac
done < /proc/meminfo
echo "hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"
echo "init=$(cat /proc/1/comm 2>/dev/null)"
avail=$(df -B1 --output=avail /var/lib 2>/dev/null | tail -n 1)
if [ -n "$avail" ]; then echo "diskbytes=$avail"
else echo "diskblocks=$(stat -f -c '%a %S' /var/lib)"; fi
`

// Facts gathers the host's facts once and caches them; see Host.Facts.
func (c *core) Facts(ctx context.Context) (Facts, error) {
	c.factsMu.Lock()
	defer c.factsMu.Unlock()
	if c.facts != nil {
		return *c.facts, nil
	}

	res, err := c.run(ctx, call{Command: Command{Cmd: factsScript}})
	if err != nil {
		return Facts{}, fmt.Errorf("gathering facts: %w", err)
	}
	f, err := parseFacts(string(res.Stdout))
	if err != nil {
		return Facts{}, fmt.Errorf("host %s: gathering facts: %w", c.name, err)
	}
	c.facts = &f
	return f, nil
}

// parseFacts reads the output of factsScript.
func parseFacts(out string) (Facts, error) {
	var f Facts
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		if err := setFact(&f, k, strings.TrimSpace(v)); err != nil {
			return Facts{}, fmt.Errorf("fact %s=%q: %w", k, v, err)
		}
	}

	switch {
	case f.Arch == "" || f.Kernel == "":
		return Facts{}, fmt.Errorf("no uname output in %q", out)
	case f.CPUs < 1:
		return Facts{}, fmt.Errorf("no CPU count in %q", out)
	case f.MemoryBytes == 0:
		return Facts{}, fmt.Errorf("no MemTotal in %q", out)
	}
	return f, nil
}

func setFact(f *Facts, k, v string) error {
	var err error
	switch k {
	case "id":
		f.OSID = v
	case "version":
		f.OSVersion = v
	case "arch":
		f.Arch = goArch(v)
	case "kernel":
		f.Kernel = v
	case "hostname":
		f.Hostname = v
	case "init":
		f.InitSystem = v
	case "cpus":
		f.CPUs, err = strconv.Atoi(v)
	case "memkb":
		f.MemoryBytes, err = kib(v)
	case "swapkb":
		f.SwapBytes, err = kib(v)
	case "diskbytes":
		f.FreeDiskBytes, err = strconv.ParseUint(v, 10, 64)
	case "diskblocks":
		f.FreeDiskBytes, err = blocks(v)
	}
	return err
}

func kib(v string) (uint64, error) {
	n, err := strconv.ParseUint(v, 10, 64)
	return n * 1024, err
}

// blocks multiplies stat -f's "%a %S": free blocks and their size.
func blocks(v string) (uint64, error) {
	var n, size uint64
	if _, err := fmt.Sscanf(v, "%d %d", &n, &size); err != nil {
		return 0, err
	}
	return n * size, nil
}

// goArch maps uname -m to the GOARCH spelling that artifact paths use.
func goArch(machine string) string {
	switch machine {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64", "aarch64_be":
		return "arm64"
	case "i386", "i486", "i586", "i686":
		return "386"
	case "armv5l", "armv6l", "armv7l", "armv8l", "arm":
		return "arm"
	case "loongarch64":
		return "loong64"
	default:
		// ppc64le, s390x, riscv64, mips64 are spelled alike in both.
		return machine
	}
}

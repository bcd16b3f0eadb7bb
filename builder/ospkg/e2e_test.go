//go:build e2e

package ospkg

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/fetch"
	"github.com/kubexm/kubexm/profiles"
	"github.com/kubexm/kubexm/qemu-tests/vm"
)

// debianSources are the machine's apt entries for Debian 12: the release,
// its updates and its security suite.
func debianSources(t *testing.T) []Source {
	t.Helper()
	apt, err := ReadAptSources("/")
	if err != nil {
		t.Fatal(err)
	}
	d, err := LookupDistro("debian", "12")
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := d.SourcesFrom(apt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sources: %v", srcs)
	return srcs
}

// TestCollectDebian12Worker builds the OS-package image of a worker of
// the default profile from the Debian mirror, checked against the real
// debian-archive-keyring, against the QEMU hosts' base (minbase, that is
// Priority required and apt, plus the test image's packages).
func TestCollectDebian12Worker(t *testing.T) {
	prof, err := profiles.Default()
	if err != nil {
		t.Fatal(err)
	}
	requested := prof.PackagesFor("worker")
	bundleDir := t.TempDir()
	var fetched int
	res, err := Collect(context.Background(), Options{
		Distro: "debian", Version: "12", Arch: "amd64",
		Sources:  debianSources(t),
		Packages: requested,
		Base: Base{Priorities: []string{"required"},
			Packages: append([]string{"apt"}, vm.DefaultPackages...)},
		Cache:  filepath.Join(t.TempDir(), "cache"),
		Bundle: bundleDir,
		Time:   time.Date(2025, 5, 20, 0, 0, 0, 0, time.UTC),
		Fetch:  &fetch.Client{},
		// The mirror may be a dated snapshot, as this machine's apt
		// configuration allows (Acquire::Check-Valid-Until).
		IgnoreValidUntil: true,
		Progress:         func(done, total int, _ *Package) { fetched = done },
	})
	if err != nil {
		t.Fatal(err)
	}

	var names []string
	for _, p := range res.Packages {
		names = append(names, p.Name)
	}
	t.Logf("%d packages (%d fetched), in the base already: %s", len(names), fetched,
		strings.Join(res.InBase, " "))
	t.Logf("packages: %s", strings.Join(names, " "))
	for _, want := range []string{"conntrack", "socat", "ipset", "ebtables",
		"libnetfilter-conntrack3", "chrony", "nfs-common"} {
		if !slices.Contains(names, want) {
			t.Errorf("%s is not in the image", want)
		}
	}
	for _, base := range []string{"libc6", "iproute2", "apt"} {
		if slices.Contains(names, base) {
			t.Errorf("%s is in the base but also in the image", base)
		}
	}
	files := readISO(t, filepath.Join(bundleDir, res.ISO))
	checkIndexes(t, files)
}

// TestCollectInstallsOnThisMachine resolves a control-plane host's
// packages against the packages this Debian 12 machine has installed,
// then has apt on it simulate installing them from the image alone: apt
// must find nothing missing.
func TestCollectInstallsOnThisMachine(t *testing.T) {
	const status = "/var/lib/dpkg/status"
	data, err := os.ReadFile(status)
	if err != nil {
		t.Skipf("not a Debian machine: %v", err)
	}
	stanzas, err := ParseControl(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", status, err)
	}
	var installed []string
	for _, s := range stanzas {
		if strings.HasSuffix(s.Get("Status"), " installed") {
			installed = append(installed, s.Get("Package"))
		}
	}

	prof, err := profiles.Default()
	if err != nil {
		t.Fatal(err)
	}
	requested := prof.PackagesFor("controlPlane")
	bundleDir := t.TempDir()
	res, err := Collect(context.Background(), Options{
		Distro: "debian", Version: "12", Arch: hostArch(),
		Sources: debianSources(t), Packages: requested, Base: Base{Packages: installed},
		Cache: filepath.Join(t.TempDir(), "cache"), Bundle: bundleDir,
		Time: time.Date(2025, 5, 20, 0, 0, 0, 0, time.UTC), IgnoreValidUntil: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d packages: %s", len(res.Packages), strings.Join(names(res.Packages), " "))
	files := readISO(t, filepath.Join(bundleDir, res.ISO))
	t.Log(checkWithApt(t, files, status, requested...))
}

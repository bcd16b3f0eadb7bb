// Package ospkg collects the operating-system packages a cluster's hosts
// need into an apt repository packed as an ISO 9660 image, for sites with
// no network to a Debian or Ubuntu mirror.
//
// It reads apt repositories the way apt does: the suite's InRelease (or
// Release and Release.gpg) checked against the distribution's archive
// keyring, then the Packages indexes that the signed file lists, each
// checked against its SHA256 there. Resolve computes the dependency
// closure of the requested packages against a declared base system (what
// the hosts already have), Client.Download fetches each .deb checked
// against the SHA256 of its index, Write lays out a flat repository, and
// PackISO packs it reproducibly. Collect does all of it for one
// distribution, version and architecture, at the bundle path
// os/<distro>/<version>/<arch>/<distro>-<version>-<arch>.iso.
//
// On a host, with the image mounted at /mnt/kubexm:
//
//	mount -o loop,ro debian-12-amd64.iso /mnt/kubexm
//	echo 'deb [trusted=yes] file:/mnt/kubexm ./' > /etc/apt/sources.list.d/kubexm.list
//	apt-get update && apt-get install --no-install-recommends conntrack socat ...
//
// The repository is unsigned, hence [trusted=yes]: its content was checked
// against the upstream signatures when the bundle was built, and the
// bundle's manifest is checked when it is unpacked.
//
// Debian and Ubuntu are served by the same code: LookupDistro gives each
// release's suites, components and archive keyring file, and the keyring
// can be passed as bytes instead. RPM-based systems are refused.
//
// A typical call, for the workers of a Debian 12 cluster:
//
//	res, err := ospkg.Collect(ctx, ospkg.Options{
//		Distro: "debian", Version: "12", Arch: "amd64",
//		Sources: []ospkg.Source{
//			{URL: mirror, Suite: "bookworm", Components: []string{"main"}},
//			{URL: mirror, Suite: "bookworm-updates", Components: []string{"main"}},
//		},
//		Packages: profile.PackagesFor("worker"),
//		Base:     ospkg.Base{Priorities: []string{"required", "important"}},
//		Cache:    cacheDir, Bundle: ".kubexm", Time: sourceDateEpoch,
//	})
//	// res.ISO is "os/debian/12/amd64/debian-12-amd64.iso" below Bundle.
package ospkg

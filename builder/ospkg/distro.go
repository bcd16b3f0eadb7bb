package ospkg

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// Distro is an apt-based distribution release that kubexm can collect
// packages for.
type Distro struct {
	ID       string // as in os-release: debian, ubuntu
	Version  string // as in os-release VERSION_ID: 12, 22.04
	Codename string // the suite name: bookworm, jammy
	// Keyring is where Debian and Ubuntu machines keep the archive
	// keyring that signs the suites (packages debian-archive-keyring and
	// ubuntu-keyring).
	Keyring string
	// Components are the archive areas that hold the packages kubexm
	// installs.
	Components []string
	// updateSuites are the suites besides Codename that carry fixes.
	updateSuites []string
}

// Suites returns the suites of the distribution's main archive, the
// release first: Debian's security suite lives in an archive of its own
// and is the caller's to add.
func (d Distro) Suites() []string {
	out := []string{d.Codename}
	for _, s := range d.updateSuites {
		out = append(out, d.Codename+s)
	}
	return out
}

const (
	debianKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
	ubuntuKeyring = "/usr/share/keyrings/ubuntu-archive-keyring.gpg"
)

var distros = map[string]map[string]string{
	"debian": {"11": "bullseye", "12": "bookworm", "13": "trixie"},
	"ubuntu": {"20.04": "focal", "22.04": "jammy", "24.04": "noble", "26.04": "resolute"},
}

// rpmBased are os-release IDs of distributions whose packages are RPMs.
var rpmBased = []string{"almalinux", "amzn", "centos", "fedora", "kylin", "ol",
	"openeuler", "opensuse", "opensuse-leap", "rhel", "rocky", "sles"}

// LookupDistro returns the release an os-release ID and VERSION_ID name.
// RPM-based systems are refused: the resolver reads apt repositories only.
func LookupDistro(id, version string) (Distro, error) {
	id = strings.ToLower(id)
	if slices.Contains(rpmBased, id) {
		return Distro{}, fmt.Errorf("os %s %s: kubexm collects OS packages only for apt-based "+
			"systems (debian, ubuntu); %s uses RPM packages, which it cannot resolve", id,
			version, id)
	}
	versions, ok := distros[id]
	if !ok {
		return Distro{}, fmt.Errorf("os %s %s: unknown distribution (kubexm knows debian "+
			"and ubuntu)", id, version)
	}
	codename, ok := versions[version]
	if !ok {
		return Distro{}, fmt.Errorf("os %s %s: unknown release (kubexm knows %s)", id,
			version, strings.Join(sortedKeys(versions), ", "))
	}

	if id == "ubuntu" {
		return Distro{ID: id, Version: version, Codename: codename, Keyring: ubuntuKeyring,
			Components:   []string{"main", "universe"},
			updateSuites: []string{"-updates", "-security"}}, nil
	}
	return Distro{ID: id, Version: version, Codename: codename, Keyring: debianKeyring,
		Components: []string{"main"}, updateSuites: []string{"-updates"}}, nil
}

// LoadKeyring reads the keyring the suites must be signed with: data when
// it is given (a keyring file's bytes, binary or armored), else the
// distribution's keyring file on this machine.
func (d Distro) LoadKeyring(data []byte) (openpgp.EntityList, error) {
	where := "the given keyring"
	if data == nil {
		var err error
		if data, err = os.ReadFile(d.Keyring); err != nil {
			return nil, fmt.Errorf("%s keyring: %w (install the %s archive keyring package "+
				"or pass the keyring)", d.ID, err, d.ID)
		}
		where = d.Keyring
	}
	keys, err := ReadKeyring(data)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", where, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("reading %s: no keys in it", where)
	}
	return keys, nil
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// SourcesFrom picks, from a machine's apt entries (ReadAptSources), those
// that carry the release: its suites and its security suite, with the
// release's components each entry lists. make-tar can so use the mirror
// that the machine it runs on is set up with.
func (d Distro) SourcesFrom(apt []AptSource) ([]Source, error) {
	suites := append(d.Suites(), d.Codename+"-security")
	var out []Source
	for _, a := range apt {
		if !slices.Contains(suites, a.Suite) {
			continue
		}
		var comps []string
		for _, c := range d.Components {
			if slices.Contains(a.Components, c) {
				comps = append(comps, c)
			}
		}
		if len(comps) > 0 {
			out = append(out, Source{URL: a.URL, Suite: a.Suite, Components: comps})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("os %s %s: the apt sources name no %s suite with %s", d.ID,
			d.Version, d.Codename, strings.Join(d.Components, " or "))
	}
	return out, nil
}

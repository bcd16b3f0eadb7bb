package ospkg

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ulikunitz/xz"

	"github.com/kubexm/kubexm/internal/testdebs"
	"github.com/kubexm/kubexm/internal/testenv"
)

// fixturePackages are real bookworm packages: the profile's conntrack,
// socat, ipset and ebtables with the dependencies a minimal system lacks
// (netbase is Priority important, so the base holds it).
var fixturePackages = []string{"conntrack", "ebtables", "ipset", "libipset13", "libmnl0",
	"libnetfilter-conntrack3", "libnfnetlink0", "libwrap0", "netbase", "socat"}

// fixtureBase names what the fixture's packages need beyond it.
var fixtureBase = []string{"libc6", "libnsl2", "libssl3"}

// needTool finds a program, skipping the test without it (failing in CI).
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		testenv.Missing(t, "%s is missing (Debian package %s)", name, name)
	}
	return p
}

// realDeb is one fixture .deb with its control fields.
type realDeb struct {
	path    string
	control Stanza
}

var (
	debsOnce sync.Once
	debs     map[string]realDeb
	debsErr  error
)

// realDebs returns the fixture's .deb files by package name. They are
// fetched once with apt-get download into $KUBEXM_TEST_DEBS (by default
// kubexm/test-debs in the user's cache folder) and kept there, so later
// runs need no network.
func realDebs(t *testing.T) map[string]realDeb {
	t.Helper()
	needTool(t, "dpkg-deb")
	debsOnce.Do(func() { debs, debsErr = fetchDebs() })
	if debsErr != nil {
		testenv.Missing(t, "%s", debsErr)
	}
	return debs
}

func fetchDebs() (map[string]realDeb, error) {
	found, err := testdebs.Get(fixturePackages...)
	if err != nil {
		return nil, err
	}
	out := map[string]realDeb{}
	for name, p := range found {
		s, err := control(p)
		if err != nil {
			return nil, err
		}
		out[name] = realDeb{path: p, control: s}
	}
	return out, nil
}

// control reads a .deb's control fields with dpkg-deb.
func control(deb string) (Stanza, error) {
	out, err := exec.Command("dpkg-deb", "-f", deb).Output()
	if err != nil {
		return nil, fmt.Errorf("dpkg-deb -f %s: %w", deb, err)
	}
	stanzas, err := ParseControl(bytes.NewReader(out))
	if err != nil || len(stanzas) != 1 {
		return nil, fmt.Errorf("control of %s: %d stanzas, %v", deb, len(stanzas), err)
	}
	return stanzas[0], nil
}

// upstream is a signed apt repository of real .deb files on loopback.
type upstream struct {
	root  string
	srv   *httptest.Server
	key   *openpgp.Entity
	arch  string
	mu    sync.Mutex
	debs  int // .deb requests served
	sums  map[string]string
	suite string
}

// fixtureOpts vary the fixture's suite.
type fixtureOpts struct {
	detached   bool      // Release and Release.gpg instead of InRelease
	byHash     bool      // Acquire-By-Hash, with by-hash/SHA256 copies
	validUntil time.Time // a Valid-Until field when set
}

// newUpstream lays out dists/bookworm and pool/ with the fixture's debs,
// signed by a key made for the test.
func newUpstream(t *testing.T, o fixtureOpts) *upstream {
	t.Helper()
	files := realDebs(t)
	u := &upstream{root: t.TempDir(), key: testKey(t), sums: map[string]string{},
		suite: "bookworm"}
	byArch := map[string]*bytes.Buffer{}
	for _, name := range fixturePackages {
		s := files[name].control
		arch := s.Get("Architecture")
		if arch != "all" {
			u.arch = arch
		}
		rel := path.Join("pool/main", name[:1], name, poolName(s))
		data := copyInto(t, files[name].path, filepath.Join(u.root, rel))
		sum := sha256.Sum256(data)
		u.sums[name] = hex.EncodeToString(sum[:])
		s = s.With("Filename", rel).With("Size", fmt.Sprint(len(data))).
			With("SHA256", u.sums[name])
		if byArch[arch] == nil {
			byArch[arch] = &bytes.Buffer{}
		}
		s.WriteTo(byArch[arch])
		byArch[arch].WriteString("\n")
	}

	dists := filepath.Join(u.root, "dists", u.suite)
	indexes := map[string][]byte{
		"main/binary-" + u.arch + "/Packages":    byArch[u.arch].Bytes(),
		"main/binary-" + u.arch + "/Packages.xz": xzBytes(t, byArch[u.arch].Bytes()),
		"main/binary-all/Packages.gz":            mustGzip(t, byArch["all"].Bytes()),
	}
	for rel, data := range indexes {
		writeFile(t, filepath.Join(dists, rel), data)
		if o.byHash {
			sum := sha256.Sum256(data)
			writeFile(t, filepath.Join(dists, path.Dir(rel), "by-hash/SHA256",
				hex.EncodeToString(sum[:])), data)
		}
	}
	u.sign(t, releaseText(u.suite, u.arch, indexes, o), o.detached)

	fs := http.FileServer(http.Dir(u.root))
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".deb") {
			u.mu.Lock()
			u.debs++
			u.mu.Unlock()
		}
		fs.ServeHTTP(w, r)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// releaseText is a Release file listing the indexes.
func releaseText(suite, arch string, indexes map[string][]byte, o fixtureOpts) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Origin: Debian\nSuite: stable\nCodename: %s\n", suite)
	fmt.Fprintf(&b, "Date: Sat, 17 May 2025 09:26:09 UTC\n")
	if !o.validUntil.IsZero() {
		fmt.Fprintf(&b, "Valid-Until: %s\n", o.validUntil.Format(time.RFC1123))
	}
	if o.byHash {
		b.WriteString("Acquire-By-Hash: yes\n")
	}
	fmt.Fprintf(&b, "Architectures: all %s arm64\nComponents: main contrib\n", arch)
	b.WriteString("SHA256:\n")
	for _, rel := range sortedNames(indexes) {
		sum := sha256.Sum256(indexes[rel])
		fmt.Fprintf(&b, " %x %8d %s\n", sum, len(indexes[rel]), rel)
	}
	return b.Bytes()
}

// sign writes InRelease, or Release and Release.gpg.
func (u *upstream) sign(t *testing.T, text []byte, detached bool) {
	t.Helper()
	dists := filepath.Join(u.root, "dists", u.suite)
	var signed bytes.Buffer
	if detached {
		if err := openpgp.ArmoredDetachSign(&signed, u.key, bytes.NewReader(text), nil); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dists, "Release"), text)
		writeFile(t, filepath.Join(dists, "Release.gpg"), signed.Bytes())
		return
	}
	w, err := clearsign.Encode(&signed, u.key.PrivateKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(text)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dists, "InRelease"), signed.Bytes())
}

// source is the fixture's suite.
func (u *upstream) source() Source {
	return Source{URL: u.srv.URL, Suite: u.suite, Components: []string{"main"}}
}

// testKey makes an Ed25519 signing key, quick to generate.
func testKey(t *testing.T) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity("kubexm test archive", "", "archive@kubexm.invalid",
		&packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// publicKey is e's public key, armored as a keyring file would hold it.
func publicKey(t *testing.T, e *openpgp.Entity) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.Bytes()
}

func copyInto(t *testing.T, src, dst string) []byte {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, data)
	return data
}

func writeFile(t testing.TB, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func xzBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := xz.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mustGzip(t *testing.T, data []byte) []byte {
	t.Helper()
	out, err := gzipped(data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fixedTime dates the fixture's images.
var fixedTime = time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC)

// poolName is the file name Debian's pool gives a package: no epoch.
func poolName(s Stanza) string {
	v := s.Get("Version")
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	return s.Get("Package") + "_" + v + "_" + s.Get("Architecture") + ".deb"
}

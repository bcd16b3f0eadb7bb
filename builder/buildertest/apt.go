package buildertest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/kubexm/kubexm/builder/ospkg"
	"github.com/kubexm/kubexm/profiles"
)

// aptRepo serves a Debian 12 archive of stand-in packages, one per name of
// the profile's package lists and arch, signed with a key made here. It
// returns the packages block and the keyring that point a config at it.
// The real resolver against real .deb files is tested in builder/ospkg.
func (u *Upstream) aptRepo(t testing.TB, prof *profiles.Profile) string {
	d, err := ospkg.LookupDistro("debian", "12")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	var names []string
	for _, list := range prof.Packages {
		names = append(names, list...)
	}
	sort.Strings(names)

	key, err := openpgp.NewEntity("kubexm buildertest", "", "archive@kubexm.invalid",
		&packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var boot []byte
	if u.boot {
		boot = bootPackages(t, root, prof)
	}
	for _, suite := range d.Suites() {
		indexes := map[string][]byte{}
		for _, arch := range []string{"amd64", "arm64"} {
			indexes["main/binary-"+arch+"/Packages"] = packages(t, root, names, arch)
		}
		if boot != nil {
			amd64 := "main/binary-amd64/Packages"
			indexes[amd64] = append(indexes[amd64], boot...)
		}
		dists := filepath.Join(root, "dists", suite)
		for rel, data := range indexes {
			put(t, filepath.Join(dists, rel), data)
		}
		put(t, filepath.Join(dists, "InRelease"), signed(t, key, release(suite, indexes)))
	}

	srv := httptest.NewServer(counting(&u.DebGets, ".deb", http.FileServer(http.Dir(root))))
	t.Cleanup(srv.Close)
	keyring := filepath.Join(t.TempDir(), "keyring.asc")
	put(t, keyring, publicKey(t, key))
	return fmt.Sprintf("      packages:\n        debian: %s\n      packagesKeyring: %s\n",
		srv.URL, keyring)
}

// packages writes a stand-in .deb per name for arch and returns their index.
func packages(t testing.TB, root string, names []string, arch string) []byte {
	var idx bytes.Buffer
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		rel := fmt.Sprintf("pool/main/%s/%s_1.0-1_%s.deb", name, name, arch)
		data := []byte("stand-in for " + name + " " + arch)
		put(t, filepath.Join(root, rel), data)
		fmt.Fprintf(&idx, "Package: %s\nVersion: 1.0-1\nArchitecture: %s\nPriority: optional\n"+
			"Filename: %s\nSize: %d\nSHA256: %x\nDescription: stand-in\n\n", name, arch, rel,
			len(data), sha256.Sum256(data))
	}
	return idx.Bytes()
}

func release(suite string, indexes map[string][]byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Origin: Debian\nCodename: %s\nSuite: %s\n", suite, suite)
	b.WriteString("Date: Mon, 01 Dec 2026 00:00:00 UTC\nArchitectures: amd64 arm64\n" +
		"Components: main\nSHA256:\n")
	var rels []string
	for rel := range indexes {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		fmt.Fprintf(&b, " %x %d %s\n", sha256.Sum256(indexes[rel]), len(indexes[rel]), rel)
	}
	return b.Bytes()
}

func signed(t testing.TB, key *openpgp.Entity, text []byte) []byte {
	var out bytes.Buffer
	w, err := clearsign.Encode(&out, key.PrivateKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(text)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func publicKey(t testing.TB, key *openpgp.Entity) []byte {
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := key.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.Bytes()
}

func put(t testing.TB, p string, data []byte) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

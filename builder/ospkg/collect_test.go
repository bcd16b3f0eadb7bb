package ospkg

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	diskfs "github.com/diskfs/go-diskfs"
	"github.com/diskfs/go-diskfs/filesystem"

	"github.com/kubexm/kubexm/internal/fetch"
)

// collect runs Collect against the fixture with the profile's packages.
func collect(t *testing.T, u *upstream, keyring []byte, cache, bundleDir string) (*Result, error) {
	t.Helper()
	return Collect(context.Background(), Options{
		Distro: "debian", Version: "12", Arch: u.arch,
		Sources:  []Source{u.source()},
		Keyring:  keyring,
		Packages: []string{"conntrack", "socat", "ipset", "ebtables"},
		Base:     Base{Priorities: []string{"required", "important"}, Packages: fixtureBase},
		Cache:    cache, Bundle: bundleDir, Time: fixedTime,
		Fetch: &fetch.Client{Retries: -1},
	})
}

func TestCollect(t *testing.T) {
	t.Parallel()
	u := newUpstream(t, fixtureOpts{})
	bundleDir, cache := t.TempDir(), t.TempDir()
	res, err := collect(t, u, publicKey(t, u.key), cache, bundleDir)
	if err != nil {
		t.Fatal(err)
	}

	want := slices.DeleteFunc(slices.Clone(fixturePackages), func(n string) bool {
		return n == "netbase" // Priority important: in the base
	})
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.Name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("resolved %q, want %q", got, want)
	}
	if wantISO := "os/debian/12/" + u.arch + "/debian-12-" + u.arch + ".iso"; res.ISO != wantISO {
		t.Errorf("ISO at %s, want %s", res.ISO, wantISO)
	}

	files := readISO(t, filepath.Join(bundleDir, res.ISO))
	for _, p := range res.Packages {
		rel := findByBase(files, path.Base(p.Filename))
		if rel == "" {
			t.Errorf("%s is not in the image", path.Base(p.Filename))
			continue
		}
		if sum := sha256.Sum256(files[rel]); hex.EncodeToString(sum[:]) != u.sums[p.Name] {
			t.Errorf("%s in the image has the wrong sha256", rel)
		}
	}
	checkIndexes(t, files)
	checkWithXorriso(t, filepath.Join(bundleDir, res.ISO), files)
	status := filepath.Join(t.TempDir(), "status")
	writeFile(t, status, []byte(baseStatus()))
	plan := checkWithApt(t, files, status, "conntrack", "socat", "ipset", "ebtables")
	for _, name := range want {
		if !strings.Contains(plan, "Inst "+name+" ") {
			t.Errorf("apt would not install %s from the repository:\n%s", name, plan)
		}
	}
}

func TestCollectAgainIsCachedAndReproducible(t *testing.T) {
	t.Parallel()
	u := newUpstream(t, fixtureOpts{detached: true}) // no InRelease
	cache := t.TempDir()
	first, second := t.TempDir(), t.TempDir()
	res, err := collect(t, u, publicKey(t, u.key), cache, first)
	if err != nil {
		t.Fatal(err)
	}
	fetched := u.debs
	if _, err := collect(t, u, publicKey(t, u.key), cache, second); err != nil {
		t.Fatal(err)
	}

	if u.debs != fetched || fetched != len(res.Packages) {
		t.Errorf("fetched %d .deb files in the first run and %d in the second, want %d and 0",
			fetched, u.debs-fetched, len(res.Packages))
	}
	a := readAll(t, filepath.Join(first, res.ISO))
	b := readAll(t, filepath.Join(second, res.ISO))
	if !bytes.Equal(a, b) {
		t.Errorf("two images of the same packages and time differ")
	}
	if len(a)%sectorSize != 0 || len(a) > totalSize(readISO(t, filepath.Join(first, res.ISO)))+
		256<<10 {
		t.Errorf("image is %d bytes: not sized to its content", len(a))
	}
}

// Two collections with one cache at once (as make-tar runs one per
// architecture) share its files without spoiling them.
func TestCollectSharesTheCache(t *testing.T) {
	t.Parallel()
	u := newUpstream(t, fixtureOpts{})
	cache := t.TempDir()
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := collect(t, u, publicKey(t, u.key), cache, t.TempDir())
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if u.debs != len(fixturePackages)-1 {
		t.Errorf("fetched %d .deb files, want each once (%d)", u.debs, len(fixturePackages)-1)
	}
}

// A mirror half-way through an update serves the next index under the
// plain name; the signed one is still there by hash, and is read.
func TestCollectReadsIndexesByHash(t *testing.T) {
	t.Parallel()
	u := newUpstream(t, fixtureOpts{byHash: true, validUntil: time.Now().Add(time.Hour)})
	p := filepath.Join(u.root, "dists/bookworm/main/binary-"+u.arch+"/Packages.xz")
	writeFile(t, p, xzBytes(t, []byte("Package: next\nVersion: 1\nArchitecture: all\n")))
	if _, err := collect(t, u, publicKey(t, u.key), t.TempDir(), t.TempDir()); err != nil {
		t.Fatal(err)
	}
}

func TestCollectRefusesBadInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		opts    fixtureOpts
		spoil   func(t *testing.T, u *upstream)
		keyring func(t *testing.T, u *upstream) []byte
		want    []string
	}{
		{name: "tampered InRelease", spoil: func(t *testing.T, u *upstream) {
			replaceIn(t, filepath.Join(u.root, "dists/bookworm/InRelease"), "Codename: bookworm",
				"Codename: bookwork")
		}, want: []string{"dists/bookworm/InRelease", "bad signature"}},
		{name: "tampered Release", opts: fixtureOpts{detached: true},
			spoil: func(t *testing.T, u *upstream) {
				replaceIn(t, filepath.Join(u.root, "dists/bookworm/Release"), "Suite: stable",
					"Suite: stabel")
			}, want: []string{"dists/bookworm/Release.gpg", "bad signature"}},
		{name: "signed by another key", keyring: func(t *testing.T, u *upstream) []byte {
			return publicKey(t, testKey(t))
		}, want: []string{"dists/bookworm/InRelease", "bad signature"}},
		{name: "index checksum mismatch", spoil: func(t *testing.T, u *upstream) {
			p := filepath.Join(u.root, "dists/bookworm/main/binary-"+u.arch+"/Packages.xz")
			writeFile(t, p, xzBytes(t, []byte("Package: evil\nVersion: 1\nArchitecture: all\n")))
		}, want: []string{"main/binary-", "Packages.xz", "checksum mismatch"}},
		{name: "index checksum mismatch by hash", opts: fixtureOpts{byHash: true},
			spoil: func(t *testing.T, u *upstream) {
				matches, _ := filepath.Glob(filepath.Join(u.root,
					"dists/bookworm/main/binary-all/by-hash/SHA256/*"))
				writeFile(t, matches[0], []byte("stale"))
			}, want: []string{"main/binary-all/Packages.gz", "by-hash/SHA256/", "checksum mismatch"}},
		{name: "expired Release", opts: fixtureOpts{validUntil: time.Now().Add(-time.Hour)},
			want: []string{"dists/bookworm/InRelease: expired on", "the mirror is stale"}},
		{name: "deb checksum mismatch", spoil: func(t *testing.T, u *upstream) {
			matches, _ := filepath.Glob(filepath.Join(u.root, "pool/main/s/socat/*.deb"))
			writeFile(t, matches[0], []byte("not the package"))
		}, want: []string{"package socat=", "pool/main/s/socat/socat_", "checksum mismatch"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := newUpstream(t, tc.opts)
			keyring := publicKey(t, u.key)
			if tc.keyring != nil {
				keyring = tc.keyring(t, u)
			}
			if tc.spoil != nil {
				tc.spoil(t, u)
			}
			bundleDir := t.TempDir()
			_, err := collect(t, u, keyring, t.TempDir(), bundleDir)
			if err == nil {
				t.Fatal("Collect succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if left, _ := filepath.Glob(filepath.Join(bundleDir, "os/*/*/*/*")); len(left) > 0 {
				t.Errorf("a failed run left %q", left)
			}
		})
	}
}

func TestLookupDistro(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, id, version string
		codename          string
		err               string
	}{
		{name: "debian 12", id: "debian", version: "12", codename: "bookworm"},
		{name: "ubuntu 22.04", id: "ubuntu", version: "22.04", codename: "jammy"},
		{name: "rocky is RPM-based", id: "rocky", version: "9",
			err: "os rocky 9: kubexm collects OS packages only for apt-based systems"},
		{name: "centos is RPM-based", id: "centos", version: "7", err: "centos uses RPM packages"},
		{name: "unknown release", id: "debian", version: "9",
			err: "unknown release (kubexm knows 11, 12, 13)"},
		{name: "unknown distribution", id: "plan9", version: "4", err: "unknown distribution"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := LookupDistro(tc.id, tc.version)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || d.Codename != tc.codename {
				t.Fatalf("LookupDistro = %+v, %v; want codename %s", d, err, tc.codename)
			}
		})
	}
}

// readISO returns every file of an image by path, read with go-diskfs.
func readISO(t *testing.T, p string) map[string][]byte {
	t.Helper()
	d, err := diskfs.Open(p, diskfs.WithOpenMode(diskfs.ReadOnly))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fsys, err := d.GetFilesystem(0)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimRight(fsys.Label(), " ") != VolumeLabel {
		t.Errorf("label %q, want %q", fsys.Label(), VolumeLabel)
	}
	files := map[string][]byte{}
	walkISO(t, fsys, ".", files)
	return files
}

func walkISO(t *testing.T, fsys filesystem.FileSystem, dir string, files map[string][]byte) {
	t.Helper()
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := path.Join(dir, e.Name())
		if e.IsDir() {
			walkISO(t, fsys, p, files)
			continue
		}
		f, err := fsys.OpenFile(p, os.O_RDONLY)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = data
	}
}

func findByBase(files map[string][]byte, base string) string {
	for p := range files {
		if path.Base(p) == base {
			return p
		}
	}
	return ""
}

func totalSize(files map[string][]byte) int {
	n := 0
	for _, data := range files {
		n += (len(data) + sectorSize - 1) / sectorSize * sectorSize
	}
	return n
}

// checkIndexes checks the image's Release against its Packages files and
// each Packages entry against the file it names.
func checkIndexes(t *testing.T, files map[string][]byte) {
	t.Helper()
	rel, err := parseRelease(files["Release"])
	if err != nil {
		t.Fatalf("Release in the image: %v", err)
	}
	for _, name := range []string{"Packages", "Packages.gz"} {
		sum := sha256.Sum256(files[name])
		if rel.Files[name].SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("Release lists the wrong sha256 for %s", name)
		}
	}
	stanzas, err := ParseControl(bytes.NewReader(files["Packages"]))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stanzas {
		data, ok := files[s.Get("Filename")]
		sum := sha256.Sum256(data)
		if !ok || hex.EncodeToString(sum[:]) != s.Get("SHA256") {
			t.Errorf("Packages entry %s: %s missing or not matching", s.Get("Package"),
				s.Get("Filename"))
		}
	}
}

// checkWithXorriso lists the image with xorriso: the same files.
func checkWithXorriso(t *testing.T, iso string, files map[string][]byte) {
	t.Helper()
	xorriso := needTool(t, "xorriso")
	out, err := exec.Command(xorriso, "-indev", iso, "-find", "/", "-type", "f").Output()
	if err != nil {
		t.Fatalf("xorriso: %v", err)
	}
	var listed, want []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		listed = append(listed, strings.TrimPrefix(strings.Trim(line, "'"), "/"))
	}
	for p := range files {
		want = append(want, p)
	}
	sort.Strings(listed)
	sort.Strings(want)
	if !slices.Equal(listed, want) {
		t.Errorf("xorriso lists %q, go-diskfs %q", listed, want)
	}
}

func readAll(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func replaceIn(t *testing.T, p, old, new string) {
	t.Helper()
	data := readAll(t, p)
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s has no %q", p, old)
	}
	writeFile(t, p, bytes.Replace(data, []byte(old), []byte(new), 1))
}

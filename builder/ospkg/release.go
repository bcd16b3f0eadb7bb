package ospkg

import (
	"bytes"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
)

// Release is the signed description of a suite: what it holds and the
// SHA256 of every index in it.
type Release struct {
	Suite         string
	Codename      string
	Architectures []string
	Components    []string
	ValidUntil    time.Time // zero when the file sets no end
	// ByHash says the suite also serves each index under
	// by-hash/SHA256/<digest> beside it (Acquire-By-Hash: yes), which
	// stays right while a mirror is half-way through an update.
	ByHash bool
	// AllInArch says the Architecture: all packages are in every
	// architecture's index too (No-Support-for-Architecture-all:
	// Packages), so apt reads no binary-all index, and neither do we.
	AllInArch bool
	// Files maps an index's path below dists/<suite>/ to its checksum.
	Files map[string]FileSum
}

// FileSum is one line of a Release file's SHA256 list.
type FileSum struct {
	Size   int64
	SHA256 string
}

// ReadKeyring reads an OpenPGP keyring, binary (as in
// /usr/share/keyrings/*.gpg) or ASCII-armored.
func ReadKeyring(data []byte) (openpgp.EntityList, error) {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN PGP")) {
		return openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	}
	return openpgp.ReadKeyRing(bytes.NewReader(data))
}

// verifyInRelease checks a clear-signed InRelease file against keyring and
// returns the signed text only: whatever lies outside the signature is
// never read.
func verifyInRelease(data []byte, keyring openpgp.KeyRing) ([]byte, error) {
	block, _ := clearsign.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("not a clear-signed file")
	}
	if _, err := block.VerifySignature(keyring, nil); err != nil {
		return nil, fmt.Errorf("bad signature: %w", err)
	}
	return block.Plaintext, nil
}

// verifyDetached checks Release against its armored Release.gpg.
func verifyDetached(release, signature []byte, keyring openpgp.KeyRing) error {
	_, err := openpgp.CheckArmoredDetachedSignature(keyring, bytes.NewReader(release),
		bytes.NewReader(signature), nil)
	if err != nil {
		return fmt.Errorf("bad signature: %w", err)
	}
	return nil
}

// parseRelease reads the fields of a (verified) Release file.
func parseRelease(text []byte) (*Release, error) {
	stanzas, err := ParseControl(bytes.NewReader(text))
	if err != nil {
		return nil, err
	}
	if len(stanzas) != 1 {
		return nil, fmt.Errorf("%d paragraphs, want 1", len(stanzas))
	}
	s := stanzas[0]
	rel := &Release{
		Suite:         s.Get("Suite"),
		Codename:      s.Get("Codename"),
		Architectures: strings.Fields(s.Get("Architectures")),
		Components:    strings.Fields(s.Get("Components")),
		Files:         map[string]FileSum{},
		ByHash:        strings.EqualFold(s.Get("Acquire-By-Hash"), "yes"),
		AllInArch:     s.Get("No-Support-for-Architecture-all") == "Packages",
	}
	if v := s.Get("Valid-Until"); v != "" {
		if rel.ValidUntil, err = mail.ParseDate(v); err != nil {
			return nil, fmt.Errorf("valid-until %q: %w", v, err)
		}
	}

	for _, line := range strings.Split(s.Get("SHA256"), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		size, err := strconv.ParseInt(f[len(f)/2], 10, 64)
		if len(f) != 3 || err != nil || len(f[0]) != 64 {
			return nil, fmt.Errorf("sha256 line %q is not \"digest size path\"", line)
		}
		rel.Files[f[2]] = FileSum{Size: size, SHA256: strings.ToLower(f[0])}
	}
	if len(rel.Files) == 0 {
		return nil, fmt.Errorf("no SHA256 list")
	}
	return rel, nil
}

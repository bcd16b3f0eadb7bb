package fetch

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
)

// ParseChecksum finds the SHA-256 of file in a published checksum file. It
// reads the formats upstream projects use: a bare digest (kubeadm.sha256),
// sha256sum lines "DIGEST  NAME" or "DIGEST *NAME", one or many
// (containerd's .sha256sum, etcd's SHA256SUMS), and BSD lines
// "SHA256 (NAME) = DIGEST".
func ParseChecksum(data []byte, file string) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	var lines []string
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	if len(lines) == 1 && isDigest(lines[0]) {
		return strings.ToLower(lines[0]), nil
	}

	found := ""
	for _, line := range lines {
		digest, name, ok := splitLine(line)
		if !ok || path.Base(name) != file {
			continue
		}
		if found != "" && found != digest {
			return "", fmt.Errorf("the checksum file gives %s two different sha256 digests", file)
		}
		found = digest
	}
	if found == "" {
		return "", fmt.Errorf("no sha256 for %s in the checksum file", file)
	}
	return found, nil
}

// splitLine reads one line of the sha256sum or BSD format.
func splitLine(line string) (digest, name string, ok bool) {
	if rest, found := strings.CutPrefix(line, "SHA256 ("); found {
		name, digest, found = strings.Cut(rest, ") = ")
		return strings.ToLower(digest), name, found && isDigest(digest)
	}
	f := strings.Fields(line)
	if len(f) != 2 || !isDigest(f[0]) {
		return "", "", false
	}
	return strings.ToLower(f[0]), strings.TrimPrefix(f[1], "*"), true
}

func isDigest(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32
}

package installer

import (
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/kubexm/kubexm/internal/atomicfile"
	"github.com/kubexm/kubexm/internal/config"
)

// Credentials are the SSH credentials the seed logs in to the hosts with.
// A host's privateKeyPath in the config names a file on the machine
// make-tar ran on, which the seed does not have; these replace it.
type Credentials struct {
	// Keys maps a host's name to the key file on the seed it logs in with.
	Keys map[string]string
	// Password is typed on the console, for the hosts that have no key
	// here and no password in the config.
	Password string
}

// NeedsKey reports whether a host logs in by key, whose file the seed must
// find.
func NeedsKey(h config.Host) bool { return h.PrivateKeyPath != "" }

// EmbeddedKey returns the key make-tar --embed-ssh-key put on the medium
// mounted at medium, or "" if there is none.
func EmbeddedKey(medium string) string {
	p := filepath.Join(medium, EmbeddedKeyPath)
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
		return p
	}
	return ""
}

// FindKeys returns the key file for each host of c that logs in by key: the
// embedded key for all if embedded is not "", else from the
// directory keys (a KUBEXM-KEYS medium; "" for none) <host>.key, or the
// first of KeyFileNames there. A host with no key found is left out.
func FindKeys(c *config.Cluster, embedded, keys string) map[string]string {
	found := map[string]string{}
	for _, h := range c.Spec.Hosts {
		if !NeedsKey(h) {
			continue
		}
		if embedded != "" {
			found[h.Name] = embedded
			continue
		}
		if keys == "" {
			continue
		}
		for _, name := range append([]string{h.Name + HostKeySuffix}, KeyFileNames...) {
			p := filepath.Join(keys, name)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				found[h.Name] = p
				break
			}
		}
	}
	return found
}

// NeedPassword returns the hosts that the keys found leave without a way to
// log in: no key here and no password in the config.
func NeedPassword(c *config.Cluster, keys map[string]string) []string {
	var names []string
	for _, h := range c.Spec.Hosts {
		if _, ok := keys[h.Name]; !ok && NeedsKey(h) && h.Password == "" {
			names = append(names, h.Name)
		}
	}
	return names
}

// Derive returns a copy of c whose hosts log in with creds: a host with a
// key found uses it (with the config's passphrase); a host without one
// falls back to its password from the config, or else to creds.Password.
func Derive(c *config.Cluster, creds Credentials) *config.Cluster {
	d := *c
	d.Spec.Hosts = append([]config.Host(nil), c.Spec.Hosts...)
	for i := range d.Spec.Hosts {
		h := &d.Spec.Hosts[i]
		if !NeedsKey(*h) {
			continue
		}
		if key, ok := creds.Keys[h.Name]; ok {
			h.PrivateKeyPath = key
			continue
		}
		h.PrivateKeyPath, h.PrivateKeyPassphrase = "", ""
		if h.Password == "" {
			h.Password = creds.Password
		}
	}
	return &d
}

// WriteConfig writes c to path, readable by its owner alone: it may hold
// the password typed on the console. The file appears whole or not at all.
func WriteConfig(path string, c *config.Cluster) error {
	data, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("rendering the derived config %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("writing the derived config: %w", err)
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("writing the derived config %s: %w", path, err)
	}
	return nil
}

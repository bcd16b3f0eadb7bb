package images

import (
	"fmt"
	"os"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// keychain logs in with Options.Credentials first, then with the docker
// config file, and anonymously when neither knows the registry.
func (o *settings) keychain() (authn.Keychain, error) {
	chain := []authn.Keychain{staticKeychain(o.Credentials)}
	if o.DockerConfig == "" {
		return authn.NewMultiKeychain(chain...), nil
	}

	f, err := os.Open(o.DockerConfig)
	if err != nil {
		return nil, fmt.Errorf("reading docker config %s: %w", o.DockerConfig, err)
	}
	defer f.Close()
	cf, err := config.LoadFromReader(f)
	if err != nil {
		return nil, fmt.Errorf("reading docker config %s: %w", o.DockerConfig, err)
	}
	chain = append(chain, fileKeychain{cf})
	return authn.NewMultiKeychain(chain...), nil
}

// staticKeychain holds the credentials of the config, by registry host. A
// key may be a mirror prefix (host/path): only its host counts.
type staticKeychain map[string]Credential

// Resolve implements authn.Keychain.
func (k staticKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	for key, c := range k {
		host, _, _ := strings.Cut(key, "/")
		if hostName(host) == hostName(r.RegistryStr()) {
			return authn.FromConfig(authn.AuthConfig{Username: c.Username, Password: c.Password}),
				nil
		}
	}
	return authn.Anonymous, nil
}

// fileKeychain reads one docker config file (rather than the one of the
// process's environment, which authn.DefaultKeychain reads).
type fileKeychain struct{ cf *configfile.ConfigFile }

// Resolve implements authn.Keychain.
func (k fileKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	key := r.RegistryStr()
	if hostName(key) == dockerHub {
		key = authn.DefaultAuthKey // docker config files name Docker Hub by this URL
	}
	ac, err := k.cf.GetAuthConfig(key)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s from the docker config: %w", key, err)
	}
	cfg := authn.AuthConfig{
		Username:      ac.Username,
		Password:      ac.Password,
		Auth:          ac.Auth,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	}
	if cfg == (authn.AuthConfig{}) {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(cfg), nil
}

// hasCredentials says whether the keychain logs in to the registry, so that
// a 401 can be told apart: wrong credentials, or none at all.
func hasCredentials(kc authn.Keychain, reg name.Registry) bool {
	a, err := kc.Resolve(reg)
	return err == nil && a != authn.Anonymous
}

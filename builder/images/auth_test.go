package images

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

func TestSaveCredentials(t *testing.T) {
	login := &user{name: "kubexm", password: "pw-that-must-not-leak-7f3a"}
	reg := startRegistry(t, login)
	img := platformImage(t, 2, "linux/amd64")
	push(t, reg+"/private:v1", img, &authn.Basic{Username: login.name, Password: login.password})
	ref := reg + "/private:v1"

	goodConfig := filepath.Join(t.TempDir(), "config.json")
	auth := base64.StdEncoding.EncodeToString([]byte(login.name + ":" + login.password))
	writeFile(t, goodConfig, fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg, auth))

	cases := []struct {
		name      string
		opts      Options
		wantError string // empty: the image is saved
	}{
		{name: "no credentials",
			wantError: "registry " + reg + " needs credentials for " + ref},
		{name: "wrong password",
			opts:      Options{Credentials: map[string]Credential{reg: {login.name, "wrong-pw-1234"}}},
			wantError: "registry " + reg + " refused the credentials for " + ref},
		{name: "right password", opts: Options{Credentials: map[string]Credential{
			reg: {login.name, login.password}}}},
		{name: "docker config file", opts: Options{DockerConfig: goodConfig}},
		{name: "credentials under a mirror prefix", opts: Options{Credentials: map[string]Credential{
			reg + "/some/prefix": {login.name, login.password}}}},
		{name: "credentials before the docker config", opts: Options{DockerConfig: goodConfig,
			Credentials: map[string]Credential{reg: {login.name, "wrong-pw-1234"}}},
			wantError: "refused the credentials"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Save(context.Background(), dir, []string{ref}, quick(c.opts))
			if c.wantError == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := mustList(t, dir); len(got) != 1 || got[0].Digest != digestOf(t, img) {
					t.Errorf("List = %+v", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantError) ||
				!errors.Is(err, ErrUnauthorized) {
				t.Fatalf("error = %v, want %q", err, c.wantError)
			}
			t.Log(err)
			for _, secret := range []string{login.password, "wrong-pw-1234", auth} {
				if strings.Contains(fmt.Sprintf("%v %+v", err, c.opts), secret) {
					t.Errorf("a password shows in %q", err)
				}
			}
		})
	}
}

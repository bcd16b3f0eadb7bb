//go:build e2e

package mirror_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/testenv"
	"github.com/kubexm/kubexm/profiles"
	"github.com/kubexm/kubexm/qemu-tests/upstream/faultserver"
	"github.com/kubexm/kubexm/qemu-tests/upstream/mirror"
)

// These tests check the mirror from outside its code: with net/http, the programs it
// built (kubeadm, helm) and skopeo, as make-tar and create will meet it. They run in
// make e2e: go test -tags e2e -timeout 60m ./qemu-tests/upstream/...

var (
	shared     *mirror.Mirror
	sharedOnce sync.Once
)

// theMirror starts one mirror for every test of the package: a cold start builds for half
// an hour, a warm one takes seconds, and the tests do not disturb each other's paths.
func theMirror(t *testing.T) *mirror.Mirror {
	sharedOnce.Do(func() {
		m, err := mirror.Run(context.Background(), mirror.Options{Log: os.Stderr})
		if err != nil {
			t.Fatalf("starting the upstream mirror: %v", err)
		}
		shared = m
	})
	if shared == nil {
		t.Fatal("the upstream mirror did not start")
	}
	return shared
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
}

// need returns the path of a program the test needs, skipping the test outside CI when the
// program is missing, and failing it in CI.
func need(t *testing.T, program string) string {
	t.Helper()

	p, err := exec.LookPath(program)
	if err == nil {
		return p
	}
	testenv.Missing(t, "%s is needed and missing: %v", program, err)
	return ""
}

func fetch(t *testing.T, url string) []byte {
	t.Helper()

	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %s", url, resp.Status)
	}

	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return body
}

// sumFor finds the digest of file in a checksum file, in either upstream format: the digest
// alone, or "digest  name" lines.
func sumFor(t *testing.T, sums []byte, file string) string {
	t.Helper()

	fields := strings.Fields(string(sums))
	if len(fields) == 1 {
		return fields[0]
	}
	for i := 0; i+1 < len(fields); i += 2 {
		if strings.TrimPrefix(fields[i+1], "*") == file {
			return fields[i]
		}
	}
	t.Fatalf("checksum file names no %s: %q", file, sums)
	return ""
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestProfileURLsReachTheMirror renders every file URL of the default profile with the
// mirror's base URL in place of upstream's, and checks that each file is there and matches
// its checksum file.
func TestProfileURLsReachTheMirror(t *testing.T) {
	m := theMirror(t)
	prof, err := profiles.Default()
	if err != nil {
		t.Fatal(err)
	}
	sumPaths := map[string]string{}
	for _, f := range m.Releases {
		sumPaths[f.Path] = f.SumPath
	}

	for _, c := range prof.Components {
		if c.Base == "" {
			continue
		}
		urls, err := c.FileURLs(m.BaseURL(c.Base), "amd64")
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range urls {
			t.Run(strings.TrimPrefix(u, m.HTTPURL), func(t *testing.T) {
				path := strings.TrimPrefix(u, m.HTTPURL)
				sumPath, ok := sumPaths[path]
				if !ok {
					t.Fatalf("the mirror publishes no %s", path)
				}
				body := fetch(t, u)
				want := sumFor(t, fetch(t, m.HTTPURL+sumPath), filepath.Base(path))
				if got := sha256Hex(body); got != want {
					t.Errorf("sha256 %s, checksum file says %s", got, want)
				}
			})
		}
	}
}

// kubeadm downloads kubeadm from the mirror, checks it against its checksum file, and
// returns its path.
func kubeadm(t *testing.T, m *mirror.Mirror) string {
	t.Helper()

	url := m.HTTPURL + "/dl.k8s.io/release/v1.37.2/bin/linux/amd64/kubeadm"
	body := fetch(t, url)
	if got, want := sha256Hex(body), strings.TrimSpace(string(fetch(t, url+".sha256"))); got != want {
		t.Fatalf("kubeadm sha256 %s, kubeadm.sha256 says %s", got, want)
	}

	p := filepath.Join(t.TempDir(), "kubeadm")
	if err := os.WriteFile(p, body, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKubeadmVersion(t *testing.T) {
	out, err := exec.Command(kubeadm(t, theMirror(t)), "version", "-o", "short").CombinedOutput()
	if err != nil {
		t.Fatalf("kubeadm version: %v: %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "v1.37.2" {
		t.Errorf("kubeadm version -o short = %q, want v1.37.2", got)
	}
}

// TestKubeadmImagesPresent checks with skopeo that the registry has every image kubeadm
// runs, and every image of the profile's components that the mirror builds.
func TestKubeadmImagesPresent(t *testing.T) {
	m := theMirror(t)
	skopeo := need(t, "skopeo")
	out, err := exec.Command(kubeadm(t, m), "config", "images", "list",
		"--kubernetes-version", "v1.37.2").Output()
	if err != nil {
		t.Fatalf("kubeadm config images list: %v", err)
	}
	images := strings.Fields(string(out))
	if len(images) < 7 {
		t.Fatalf("kubeadm listed %d images, want at least 7: %s", len(images), out)
	}
	images = append(images, profileImages(t)...)

	certDir := caDir(t, m)
	for _, img := range images {
		t.Run(img, func(t *testing.T) {
			inspect(t, skopeo, certDir, m, img)
		})
	}
}

// TestMultiArchImages checks with skopeo that pause and CoreDNS are indexes for amd64
// and arm64.
func TestMultiArchImages(t *testing.T) {
	m := theMirror(t)
	skopeo := need(t, "skopeo")
	certDir := caDir(t, m)

	for _, img := range []string{"registry.k8s.io/pause:3.10.1", "registry.k8s.io/pause:3.10.2",
		"registry.k8s.io/coredns/coredns:v1.13.1", "docker.io/coredns/coredns:1.13.1"} {
		t.Run(img, func(t *testing.T) {
			var index struct {
				Manifests []struct {
					Platform struct{ OS, Architecture string }
				}
			}
			if err := json.Unmarshal(inspect(t, skopeo, certDir, m, img, "--raw"), &index); err != nil {
				t.Fatalf("reading the index of %s: %v", img, err)
			}
			var archs []string
			for _, d := range index.Manifests {
				archs = append(archs, d.Platform.OS+"/"+d.Platform.Architecture)
			}
			slices.Sort(archs)
			if !slices.Equal(archs, []string{"linux/amd64", "linux/arm64"}) {
				t.Errorf("%s is for %v, want linux/amd64 and linux/arm64", img, archs)
			}
		})
	}
}

// profileImages are the images of the default profile's components that the mirror builds
// (Calico's and NodeLocal DNS's need toolchains the test machines lack).
func profileImages(t *testing.T) []string {
	t.Helper()

	prof, err := profiles.Default()
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, name := range []string{"kubernetes", "etcd", "pause", "coredns", "flannel",
		"flannel-cni-plugin"} {
		c, ok := prof.Component(name)
		if !ok {
			t.Fatalf("the default profile has no component %s", name)
		}
		more, err := c.ImageRefs()
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, more...)
	}
	return refs
}

// inspect runs skopeo inspect on the mirror's copy of the upstream image img.
func inspect(t *testing.T, skopeo, certDir string, m *mirror.Mirror, img string,
	args ...string) []byte {
	t.Helper()

	args = append([]string{"inspect", "--cert-dir", certDir}, args...)
	if m.User != "" {
		args = append(args, "--creds", m.User+":"+m.Password)
	}
	out, err := exec.Command(skopeo, append(args, "docker://"+m.Registry+"/"+img)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("skopeo inspect %s: %v: %s", img, err, ee.Stderr)
		}
		t.Fatalf("skopeo inspect %s: %v", img, err)
	}
	return out
}

// caDir is a folder that holds the mirror's CA alone, as skopeo's --cert-dir wants it.
func caDir(t *testing.T, m *mirror.Mirror) string {
	t.Helper()

	dir := t.TempDir()
	ca, err := os.ReadFile(m.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), ca, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestHelmPull pulls the flannel and CoreDNS charts with the helm program the mirror built
// and serves, from the HTTP chart repository and from the registry.
func TestHelmPull(t *testing.T) {
	m := theMirror(t)
	helm := helmProgram(t, m)
	ca := filepath.Join(caDir(t, m), "ca.crt")

	tests := []struct {
		name string
		args []string
		file string
	}{
		{"flannel over http", []string{"flannel", "--repo", m.ChartRepo, "--version", "v0.28.9"},
			"flannel-v0.28.9.tgz"},
		{"coredns over http", []string{"coredns", "--repo", m.ChartRepo, "--version", "1.46.2"},
			"coredns-1.46.2.tgz"},
		{"flannel over oci", []string{"oci://" + m.Registry + "/charts/flannel", "--version",
			"v0.28.9", "--ca-file", ca}, "flannel-v0.28.9.tgz"},
		{"coredns over oci", []string{"oci://" + m.Registry + "/charts/coredns", "--version",
			"1.46.2", "--ca-file", ca}, "coredns-1.46.2.tgz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest := t.TempDir()
			cmd := exec.Command(helm, append([]string{"pull", "-d", dest}, tc.args...)...)
			home := t.TempDir()
			cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home+"/cache",
				"HELM_CONFIG_HOME="+home+"/config", "HELM_DATA_HOME="+home+"/data")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("helm pull: %v: %s", err, out)
			}
			if _, err := os.Stat(filepath.Join(dest, tc.file)); err != nil {
				t.Errorf("helm pull wrote no %s: %v", tc.file, err)
			}
		})
	}
}

// helmProgram downloads the helm release archive from the mirror and unpacks helm.
func helmProgram(t *testing.T, m *mirror.Mirror) string {
	t.Helper()

	body := fetch(t, m.HTTPURL+"/get.helm.sh/helm-v4.3.2-linux-amd64.tar.gz")
	zr, err := gzip.NewReader(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("finding linux-amd64/helm in the helm archive: %v", err)
		}
		if hdr.Name != "linux-amd64/helm" {
			continue
		}
		p := filepath.Join(t.TempDir(), "helm")
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

// TestFaults switches each fault on for a real release file of the mirror and checks that
// a plain HTTP client sees it.
func TestFaults(t *testing.T) {
	m := theMirror(t)
	const file = "/github.com/opencontainers/runc/releases/download/v1.5.3/runc.amd64"
	const sums = "/github.com/opencontainers/runc/releases/download/v1.5.3/runc.sha256sum"
	whole := fetch(t, m.HTTPURL+file)
	goodSum := sumFor(t, fetch(t, m.HTTPURL+sums), "runc.amd64")

	tests := []struct {
		name  string
		path  string
		fault faultserver.Fault
		check func(t *testing.T)
	}{
		{"cut after 1 MiB, then resumed with a range", file, faultserver.Fault{CutAfter: 1 << 20},
			func(t *testing.T) {
				resp, err := http.Get(m.HTTPURL + file)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil || len(got) != 1<<20 {
					t.Fatalf("read %d bytes, error %v: want a cut at 1 MiB", len(got), err)
				}
				m.Files.ClearFault(file)
				req, _ := http.NewRequest(http.MethodGet, m.HTTPURL+file, nil)
				req.Header.Set("Range", "bytes=1048576-")
				resp, err = http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				rest, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusPartialContent {
					t.Fatalf("resuming: status %s, error %v", resp.Status, err)
				}
				if sha256Hex(append(got, rest...)) != goodSum {
					t.Errorf("the resumed download does not match runc.sha256sum")
				}
			}},
		{"wrong checksum", sums, faultserver.Fault{WrongChecksum: true}, func(t *testing.T) {
			if got := sumFor(t, fetch(t, m.HTTPURL+sums), "runc.amd64"); got == goodSum {
				t.Errorf("runc.sha256sum still matches runc.amd64")
			}
		}},
		{"slow", file, faultserver.Fault{Delay: time.Second}, func(t *testing.T) {
			start := time.Now()
			if body := fetch(t, m.HTTPURL+file); len(body) != len(whole) {
				t.Errorf("slow answer has %d bytes, want %d", len(body), len(whole))
			}
			if took := time.Since(start); took < time.Second {
				t.Errorf("answered in %v, want at least 1s", took)
			}
		}},
		{"429 twice, then served", file, faultserver.Fault{FailFirst: 2, FailStatus: 429},
			func(t *testing.T) { wantStatuses(t, m.HTTPURL+file, 429, 429, 200) }},
		{"500 once, then served", file, faultserver.Fault{FailFirst: 1},
			func(t *testing.T) { wantStatuses(t, m.HTTPURL+file, 500, 200, 200) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m.Files.SetFault(tc.path, tc.fault)
			defer m.Files.ClearFault(tc.path)
			tc.check(t)
		})
	}
}

// wantStatuses requests url once for each status given, and checks the answers' statuses.
func wantStatuses(t *testing.T, url string, statuses ...int) {
	t.Helper()

	for i, want := range statuses {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("request %d: status %d, want %d", i+1, resp.StatusCode, want)
		}
	}
}

// TestRegistryAuth starts a second mirror with basic auth on, from the same cache, and
// checks that its registry refuses a pull without the password and serves one with it.
func TestRegistryAuth(t *testing.T) {
	theMirror(t)
	skopeo := need(t, "skopeo")
	m := mirror.StartWith(t, mirror.Options{User: "kubexm", Password: "s3cret-pass"})
	certDir := caDir(t, m)

	out, err := exec.Command(skopeo, "inspect", "--cert-dir", certDir,
		"docker://"+m.Registry+"/registry.k8s.io/pause:3.10.1").CombinedOutput()
	if err == nil {
		t.Errorf("skopeo inspect without credentials worked; want it refused: %s", out)
	}
	inspect(t, skopeo, certDir, m, "registry.k8s.io/pause:3.10.1")
}

// TestServeCommand runs the serve command as a user would, reads its env file, fetches a
// release file through the address it names, and stops it with an interrupt.
func TestServeCommand(t *testing.T) {
	theMirror(t)
	bin := filepath.Join(t.TempDir(), "upstream")
	if out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput(); err != nil {
		t.Fatalf("building the serve command: %v: %s", err, out)
	}

	envFile := filepath.Join(t.TempDir(), "mirror.env")
	cmd := exec.Command(bin, "serve", "-env", envFile)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	env := waitForFile(t, envFile, 5*time.Minute)
	vars := map[string]string{}
	for _, line := range strings.Split(env, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "KUBEXM_MIRROR_") {
			vars[k] = v
		}
	}
	for _, k := range []string{"KUBEXM_MIRROR_HTTP", "KUBEXM_MIRROR_REGISTRY", "KUBEXM_MIRROR_CA",
		"KUBEXM_MIRROR_FAULTS", "KUBEXM_MIRROR_SOURCES"} {
		if vars[k] == "" {
			t.Errorf("env file sets no %s:\n%s", k, env)
		}
	}
	if !strings.Contains(env, "kubernetes: "+vars["KUBEXM_MIRROR_HTTP"]+"/dl.k8s.io\n") {
		t.Errorf("the sources block does not send kubernetes to the mirror:\n%s", env)
	}
	const sum = "/dl.k8s.io/release/v1.37.2/bin/linux/amd64/kubectl.sha256"
	fetch(t, vars["KUBEXM_MIRROR_HTTP"]+sum)

	// A fault set from outside the process, through the control path the env file names.
	body := `{"path":"` + sum + `","fault":{"failFirst":1,"failStatus":429}}`
	req, err := http.NewRequest(http.MethodPut, vars["KUBEXM_MIRROR_FAULTS"], strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	wantStatuses(t, vars["KUBEXM_MIRROR_HTTP"]+sum, 429, 200)

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve did not stop cleanly on an interrupt: %v", err)
	}
}

// waitForFile waits until name exists and is not empty, and returns what it holds.
func waitForFile(t *testing.T, name string, limit time.Duration) string {
	t.Helper()

	for deadline := time.Now().Add(limit); time.Now().Before(deadline); {
		if data, err := os.ReadFile(name); err == nil && len(data) > 0 {
			return string(data)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s did not appear within %v", name, limit)
	return ""
}

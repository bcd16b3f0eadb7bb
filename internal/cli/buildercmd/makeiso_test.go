package buildercmd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/kubexm/kubexm/builder"
	"github.com/kubexm/kubexm/builder/buildertest"
	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/testenv"
	"github.com/kubexm/kubexm/rootfs"
)

// needXorriso finds xorriso, which reads the images back here as an
// operator's tools would; skips without it, but fails in CI.
func needXorriso(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("xorriso"); err != nil {
		testenv.Missing(t, "%s", "xorriso is missing (Debian package xorriso)")
	}
}

// xorriso runs xorriso on the image and returns what it printed.
func xorriso(t *testing.T, iso string, args ...string) string {
	t.Helper()
	out, err := exec.Command("xorriso", append([]string{"-indev", iso}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("xorriso %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// sshKey writes an unencrypted OpenSSH private key.
func sshKey(t *testing.T) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMakeTarWritesABootableISO(t *testing.T) {
	needXorriso(t)
	if !rootfs.Available() {
		testenv.Missing(t, "%s", "kubexm-builder was built without its initramfs: run make rootfs")
	}
	up := buildertest.StartWithBoot(t)
	cfg := writeConfig(t, clusterYAML("    - name: node1\n      address: 10.0.0.1\n"+
		"      password: s3cret-pw\n")+"  seed:\n    address: 10.0.0.5/24\n"+up.Sources)
	t.Setenv("KUBEXM_CACHE", t.TempDir())
	t.Setenv("SOURCE_DATE_EPOCH", "1764547200")
	key := sshKey(t)

	var warnings string // make-tar's standard error
	build := func(name string, extra ...string) string {
		t.Helper()
		work := filepath.Join(t.TempDir(), bundle.Dir)
		out := filepath.Join(t.TempDir(), name)
		args := append([]string{"make-tar", "-f", cfg, "--format", "iso", "-o", out,
			"--workdir", work}, extra...)
		code, stdout, stderr := execute(t, NewBuilder(), args...)
		if code != 0 {
			t.Fatalf("make-tar --format iso: exit %d\n%s\n%s", code, stdout, stderr)
		}
		warnings = stderr
		return out
	}
	iso := build("kubexm.iso", "--embed-ssh-key", key)
	for _, w := range []string{"warning: --embed-ssh-key writes " + key,
		"warning: the image carries the config as it is, with the passwords of 1 host(s)"} {
		if !strings.Contains(warnings, w) {
			t.Errorf("make-tar did not warn %q; it wrote:\n%s", w, warnings)
		}
	}
	if strings.Contains(warnings, "s3cret-pw") {
		t.Errorf("a warning shows the password:\n%s", warnings)
	}

	// The tree in the image is the bundle's, with the boot files; each
	// file matches the manifest, read back by xorriso.
	dir := t.TempDir()
	xorriso(t, iso, "-osirrox", "on", "-extract", "/", dir)
	root := filepath.Join(dir, bundle.Dir)
	want, err := bundle.VerifyFS(context.Background(), root, os.DirFS(root))
	if err != nil {
		t.Fatalf("the image's tree, extracted by xorriso: %v", err)
	}
	sources := map[string]string{}
	for _, f := range want.Files {
		sources[f.Path] = f.Source
	}
	for _, p := range []string{"kubernetes/v1.37.2/amd64/kubeadm",
		"os/debian/12/amd64/debian-12-amd64.iso", "boot/amd64/vmlinuz",
		"boot/amd64/initrd.img", "boot/amd64/isolinux.bin", "boot/amd64/bootx64.efi"} {
		if _, ok := sources[p]; !ok {
			t.Errorf("the image's tree lacks %s", p)
		}
	}
	if s := sources["boot/amd64/vmlinuz"]; !strings.HasSuffix(s, ".deb") {
		t.Errorf("the manifest gives the kernel's source as %q, want the .deb it came from", s)
	}

	// The config and the key are at the root, for the installer.
	if got, _ := os.ReadFile(filepath.Join(dir, builder.ConfigName)); !bytes.Equal(got, mustRead(t, cfg)) {
		t.Errorf("%s on the image is not the config make-tar read", builder.ConfigName)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, builder.EmbeddedKey)); !bytes.Equal(got, mustRead(t, key)) {
		t.Errorf("%s on the image is not the key of --embed-ssh-key", builder.EmbeddedKey)
	}

	// It boots both ways: an El Torito entry for BIOS and one for UEFI, and
	// an MBR for a USB stick.
	report := xorriso(t, iso, "-report_el_torito", "plain", "-report_system_area", "plain")
	for _, w := range []string{"El Torito boot img :   1  BIOS", "El Torito boot img :   2  UEFI",
		"MBR partition table"} {
		if !strings.Contains(report, w) {
			t.Errorf("xorriso's report lacks %q:\n%s", w, report)
		}
	}

	// verify reads the image's tree; a flipped byte in a file is named.
	if code, stdout, stderr := execute(t, NewBuilder(), "verify", iso); code != 0 {
		t.Errorf("verify %s: exit %d\n%s%s", iso, code, stdout, stderr)
	}
	data := mustRead(t, iso)
	at := bytes.Index(data, []byte("stand-in for kubeadm"))
	if at < 0 {
		t.Fatal("the image does not hold kubeadm's stand-in content")
	}
	data[at] ^= 0xff
	flipped := filepath.Join(t.TempDir(), "flipped.iso")
	if err := os.WriteFile(flipped, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := execute(t, NewBuilder(), "verify", flipped)
	if code == 0 || !strings.Contains(stderr, "kubernetes/v1.37.2/amd64/kubeadm") {
		t.Errorf("verify of an image with a flipped byte: exit %d, %q; want the file named",
			code, stderr)
	}

	// Without --embed-ssh-key there is no key; and the same inputs give the
	// same bytes.
	plain := build("plain.iso")
	again := build("again.iso")
	if !bytes.Equal(mustRead(t, plain), mustRead(t, again)) {
		t.Error("two builds of the image from the same inputs differ")
	}
	if strings.Contains(xorriso(t, plain, "-find", "/", "-type", "f"), builder.EmbeddedKey) {
		t.Errorf("an image made without --embed-ssh-key holds %s", builder.EmbeddedKey)
	}
}

func TestMakeTarISORefusals(t *testing.T) {
	cfg := writeConfig(t, clusterYAML("    - name: node1\n      address: 10.0.0.1\n"+
		"      password: pw\n"))
	arm := writeConfig(t, clusterYAML("    - name: node1\n      address: 10.0.0.1\n"+
		"      password: pw\n      arch: arm64\n")+"  artifacts:\n    arches: [arm64]\n")
	notAKey := writeConfig(t, "not a key")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"key on a tarball", []string{"-f", cfg, "--embed-ssh-key", notAKey}, 2,
			"--embed-ssh-key: only an ISO carries a key"},
		{"not a key", []string{"-f", cfg, "--format", "iso", "--embed-ssh-key", notAKey}, 2,
			"--embed-ssh-key " + notAKey + ": not an unencrypted private key"},
		{"no amd64", []string{"-f", arm, "--format", "iso"}, 3,
			"spec.artifacts.arches (arm64) lacks amd64"},
		{"bad format", []string{"-f", cfg, "--format", "qcow2"}, 2, `--format "qcow2": want tar or iso`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"make-tar", "--workdir", filepath.Join(t.TempDir(), bundle.Dir)},
				tt.args...)
			code, stdout, stderr := execute(t, NewBuilder(), args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d with %q (stdout %q)", code, stderr,
					tt.code, tt.want, stdout)
			}
		})
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

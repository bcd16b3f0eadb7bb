package ospkg

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// checkWithApt has the real apt read the image's repository (extracted
// from the image) through SourcesLine's options, with the dpkg status file
// status as the installed system, and simulate installing the requested
// packages: apt finds every dependency in the repository or the status,
// or it fails. It returns apt's plan.
func checkWithApt(t *testing.T, files map[string][]byte, status string,
	requested ...string) string {
	t.Helper()
	aptGet := needTool(t, "apt-get")
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	for p, data := range files {
		writeFile(t, filepath.Join(repo, p), data)
	}
	line := strings.Replace(SourcesLine, "file:/mnt/kubexm", "file:"+repo, 1)
	writeFile(t, filepath.Join(dir, "sources.list"), []byte(line+"\n"))
	for _, d := range []string{"state/lists/partial", "cache/archives/partial", "parts"} {
		writeFile(t, filepath.Join(dir, d, ".keep"), nil)
	}

	opts := []string{
		"-o", "Dir::Etc::SourceList=" + filepath.Join(dir, "sources.list"),
		"-o", "Dir::Etc::SourceParts=" + filepath.Join(dir, "parts"),
		"-o", "Dir::State=" + filepath.Join(dir, "state"),
		"-o", "Dir::State::status=" + status,
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
		"-o", "Debug::NoLocking=1",
		"-o", "APT::Sandbox::User=root",
	}
	run := func(args ...string) string {
		out, err := exec.Command(aptGet, append(opts, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("update")
	return run(append([]string{"-s", "install", "--no-install-recommends"}, requested...)...)
}

// baseStatus is a dpkg status file with the fixture's base installed.
func baseStatus() string {
	var b strings.Builder
	versions := map[string]string{"libc6": "2.36-9+deb12u10", "libnsl2": "1.3.0-2",
		"libssl3": "3.0.16-1~deb12u1", "netbase": "6.4"}
	for _, name := range append(fixtureBase, "netbase") {
		fmt.Fprintf(&b, "Package: %s\nStatus: install ok installed\nVersion: %s\n"+
			"Architecture: %s\nMaintainer: kubexm tests\nDescription: base\n\n", name,
			versions[name], map[bool]string{true: "all", false: hostArch()}[name == "netbase"])
	}
	return b.String()
}

func hostArch() string {
	out, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		return "amd64"
	}
	return strings.TrimSpace(string(out))
}

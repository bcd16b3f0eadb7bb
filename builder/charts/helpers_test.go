package charts

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"

	"github.com/kubexm/kubexm/internal/testenv"
)

// flannelModule is the Go module whose zip carries flannel's chart.
const flannelModule = "github.com/flannel-io/flannel@v0.28.9"

// missing stops a test that lacks an input: a skip on a developer's
// machine, a failure under CI, where every input must be there.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	testenv.Missing(t, format, args...)
}

// fixtures is the folder of upstream fixtures: $KUBEXM_FIXTURES, or
// ../shared/fixtures/upstream beside the repository.
func fixtures() string {
	if dir := os.Getenv("KUBEXM_FIXTURES"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "..", "shared", "fixtures", "upstream")
}

// fixture is the path of a fixture file, or a skip (a failure under CI)
// that names it.
func fixture(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(fixtures(), rel)
	if _, err := os.Stat(p); err != nil {
		missing(t, "%s is missing (set KUBEXM_FIXTURES to the folder of upstream fixtures): %v",
			rel, err)
	}
	return p
}

// corednsChart is the real CoreDNS 1.46.2 chart archive.
func corednsChart(t *testing.T) string {
	t.Helper()
	return fixture(t, "charts/coredns-1.46.2.tgz")
}

// corednsIfThere is the CoreDNS chart in a list, or an empty list when the
// fixtures lack it, for the tests whose other cases need only flannel.
func corednsIfThere() []string {
	p := filepath.Join(fixtures(), "charts", "coredns-1.46.2.tgz")
	if _, err := os.Stat(p); err != nil {
		return nil
	}
	return []string{p}
}

var flannel struct {
	once sync.Once
	dir  string // removed by TestMain
	path string
	err  error
}

// update rewrites the golden files with what the tests get.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if flannel.dir != "" {
		os.RemoveAll(flannel.dir)
	}
	os.Exit(code)
}

// flannelChart is the real flannel v0.28.9 chart archive, packed from the
// flannel Go module in the module cache, or the fixture when the cache does
// not have it. The test makes no request for it: GOPROXY is off.
func flannelChart(t *testing.T) string {
	t.Helper()
	flannel.once.Do(func() { flannel.path, flannel.err = packFlannel() })
	if flannel.err == nil {
		t.Logf("flannel's chart: packed from %s in the module cache", flannelModule)
		return flannel.path
	}
	p := filepath.Join(fixtures(), "charts", "flannel-v0.28.9.tgz")
	if _, err := os.Stat(p); err != nil {
		missing(t, "flannel's chart: not in the module cache (%v; run go mod download %s) "+
			"and charts/flannel-v0.28.9.tgz of KUBEXM_FIXTURES is missing", flannel.err,
			flannelModule)
	}
	return p
}

// packFlannel packs chart/kube-flannel of the flannel module into a chart
// archive in a temporary folder.
func packFlannel() (string, error) {
	tmp, err := os.MkdirTemp("", "kubexm-charts-test-")
	if err != nil {
		return "", err
	}
	flannel.dir = tmp
	cmd := exec.Command("go", "mod", "download", "-json", flannelModule)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	var mod struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &mod); err != nil || jerr != nil || mod.Dir == "" {
		return "", errors.Join(err, jerr, errors.New(mod.Error))
	}

	ch, err := loader.LoadDir(filepath.Join(mod.Dir, "chart", "kube-flannel"))
	if err != nil {
		return "", err
	}
	return chartutil.Save(ch, tmp)
}

// checkFailure checks a failed pull: its error is target (if set), says
// every phrase of want, and left no file under root.
func checkFailure(t *testing.T, err, target error, want []string, root string) {
	t.Helper()
	t.Log(err)
	if target != nil && !errors.Is(err, target) {
		t.Errorf("error %q is not %q", err, target)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if fs := files(t, root); len(fs) != 0 {
		t.Errorf("files left behind: %v", fs)
	}
}

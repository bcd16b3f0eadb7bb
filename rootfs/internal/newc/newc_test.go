package newc

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cavaliergopher/cpio"
	"github.com/ulikunitz/xz"
)

// record is what a test reads back of one archive entry.
type record struct {
	mode cpio.FileMode
	uid  int
	gid  int
	mt   int64
	body string
}

func readBack(t *testing.T, data []byte) ([]string, map[string]record) {
	t.Helper()
	zr, err := xz.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	cr := cpio.NewReader(zr)
	var names []string
	recs := map[string]record{}
	for {
		h, err := cr.Next()
		if err == io.EOF {
			return names, recs
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(cr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Linkname != "" {
			body = []byte(h.Linkname)
		}
		names = append(names, h.Name)
		recs[h.Name] = record{h.Mode, h.Uid, h.Guid, h.ModTime.Unix(), string(body)}
	}
}

func TestWriteReadsBack(t *testing.T) {
	epoch := time.Unix(1700000000, 0)
	var buf bytes.Buffer
	err := Write(&buf, []Entry{
		File("/etc/kubexm/modules", 0o644, []byte("/lib/modules/x/a.ko\n")),
		Symlink("init", "bbin/init"),
		File("bbin/bb", 0o755, []byte("ELF")),
		Dir("tmp", 0o777),
	}, epoch)
	if err != nil {
		t.Fatal(err)
	}

	names, recs := readBack(t, buf.Bytes())
	want := []string{"bbin", "bbin/bb", "etc", "etc/kubexm", "etc/kubexm/modules", "init", "tmp"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("names = %v, want %v (sorted, parents added)", names, want)
	}
	checks := map[string]record{
		"bbin":               {mode: cpio.TypeDir | 0o755},
		"bbin/bb":            {mode: cpio.TypeReg | 0o755, body: "ELF"},
		"etc/kubexm/modules": {mode: cpio.TypeReg | 0o644, body: "/lib/modules/x/a.ko\n"},
		"init":               {mode: cpio.TypeSymlink | 0o777, body: "bbin/init"},
		"tmp":                {mode: cpio.TypeDir | 0o777},
	}
	for name, w := range checks {
		w.mt = epoch.Unix()
		if got := recs[name]; got != w {
			t.Errorf("%s = %+v, want %+v", name, got, w)
		}
	}
}

func TestWriteRefusesDuplicates(t *testing.T) {
	err := Write(io.Discard, []Entry{Dir("etc", 0o755), Dir("/etc/", 0o700)}, time.Unix(0, 0))
	if err == nil || !strings.Contains(err.Error(), "etc: given twice") {
		t.Fatalf("err = %v, want one naming etc as given twice", err)
	}
}

func TestWriteUsesCRC32(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, []Entry{File("a", 0o644, []byte("a"))}, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	if err := CheckCRC32(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
}

func TestWriteIsDeterministic(t *testing.T) {
	write := func(entries []Entry) []byte {
		var buf bytes.Buffer
		if err := Write(&buf, entries, time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a := write([]Entry{File("x/a", 0o644, []byte("1")), File("b", 0o600, []byte("2"))})
	b := write([]Entry{File("b", 0o600, []byte("2")), File("x/a", 0o644, []byte("1"))})
	if !bytes.Equal(a, b) {
		t.Error("the same entries in another order gave other bytes")
	}
}

package isofs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPlainImageIsReproducible(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Release"), []byte("Origin: kubexm\n"))
	writeFile(t, filepath.Join(dir, "pool/s/socat/socat_1.7.4.4-2_amd64.deb"), []byte("y"))
	out := t.TempDir()
	a, b := filepath.Join(out, "a.iso"), filepath.Join(out, "b.iso")
	o := Options{Label: "KUBEXM_OS", Time: fixedTime}
	if err := Write(dir, a, o); err != nil {
		t.Fatal(err)
	}
	touchLater(t, dir)
	if err := Write(dir, b, o); err != nil {
		t.Fatal(err)
	}
	assertSame(t, a, b)
	if got := readAll(t, a)[:mbrSize]; !bytes.Equal(got, make([]byte, mbrSize)) {
		t.Error("a plain image has a system area")
	}
}

func TestBootableImageIsReproducible(t *testing.T) {
	t.Parallel()
	dir, o := bootTree(t)
	out := t.TempDir()
	a, b := filepath.Join(out, "a.iso"), filepath.Join(out, "b.iso")
	if err := Write(dir, a, o); err != nil {
		t.Fatal(err)
	}
	touchLater(t, dir)
	if err := Write(dir, b, o); err != nil {
		t.Fatal(err)
	}
	assertSame(t, a, b)

	img := readAll(t, a)
	blocks := binary.LittleEndian.Uint32(img[16*SectorSize+pvdVolumeSize:])
	if int64(len(img)) != int64(blocks)*SectorSize {
		t.Errorf("the image is %d bytes, its volume %d blocks", len(img), blocks)
	}
	if !bytes.Equal(readAll(t, filepath.Join(dir, "isolinux/isolinux.bin")), readAll(t, isolinuxBin)) {
		t.Error("writing the boot table changed the tree's isolinux.bin")
	}
}

// touchLater waits past a second and gives every file of dir a new time,
// so that a second write sees another wall clock and other file times.
func touchLater(t *testing.T, dir string) {
	time.Sleep(1100 * time.Millisecond)
	now := time.Now()
	filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error {
		return os.Chtimes(p, now, now)
	})
}

func assertSame(t *testing.T, a, b string) {
	t.Helper()
	if !bytes.Equal(readAll(t, a), readAll(t, b)) {
		t.Fatalf("%s and %s, of the same input and time, differ", a, b)
	}
}

// TestBootStructure reads a bootable image back with xorriso: its boot
// catalog, its MBR partitions (which xorriso matches to the files whose
// extents they cover) and the files' extents.
func TestBootStructure(t *testing.T) {
	t.Parallel()
	xorriso := needTool(t, "xorriso", "xorriso")
	dir, o := bootTree(t)
	iso := filepath.Join(t.TempDir(), "boot.iso")
	if err := Write(dir, iso, o); err != nil {
		t.Fatal(err)
	}
	lba := extents(t, xorriso, iso)
	espSize := fileSize(t, filepath.Join(dir, "boot/efi.img"))
	size := fileSize(t, iso)

	report := run(t, xorriso, "-indev", iso, "-report_el_torito", "plain",
		"-report_system_area", "plain")
	want := []string{
		`El Torito cat path : /isolinux/boot.cat`,
		fmt.Sprintf(`El Torito boot img :   1  BIOS  y   none  0x0000  0x00      4 +%d`,
			lba["/isolinux/isolinux.bin"]),
		fmt.Sprintf(`El Torito boot img :   2  UEFI  y   none  0x0000  0x00 +%d +%d`,
			espSize/512, lba["/boot/efi.img"]),
		`El Torito img path :   1  /isolinux/isolinux.bin`,
		`El Torito img path :   2  /boot/efi.img`,
		`System area summary: MBR isohybrid cyl-align-off`,
		fmt.Sprintf(`MBR partition      :   1   0x80  0x00 +0 +%d`, size/512),
		fmt.Sprintf(`MBR partition      :   2   0x00  0xef +%d +%d`,
			lba["/boot/efi.img"]*4, espSize/512),
		`MBR partition path :   2  /boot/efi.img`,
	}
	for _, w := range want {
		if !regexp.MustCompile(`(?m)^` + w + `\s*$`).MatchString(report) {
			t.Errorf("xorriso does not report %q:\n%s", w, report)
		}
	}
}

// extents returns the first 2048-byte block of each file of the image, as
// xorriso finds it.
func extents(t *testing.T, xorriso, iso string) map[string]int64 {
	t.Helper()
	out := run(t, xorriso, "-indev", iso, "-find", "/", "-type", "f", "-exec", "report_lba")
	lba := map[string]int64{}
	re := regexp.MustCompile(`(?m)^File data lba:\s+0 ,\s+(\d+) ,.*'(.*)'$`)
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		lba[m[2]] = n
	}
	return lba
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestMBRMatchesXorriso has xorriso write the same tree with its
// isohybrid MBR, then builds an MBR from what that image's catalog and
// size say: the two must be the same bytes but for the disk signature,
// which xorriso draws at random.
func TestMBRMatchesXorriso(t *testing.T) {
	t.Parallel()
	xorriso := needTool(t, "xorriso", "xorriso")
	dir, o := bootTree(t)
	ref := filepath.Join(t.TempDir(), "xorriso.iso")
	if out, err := xorrisoISO(t, xorriso, dir, ref).CombinedOutput(); err != nil {
		t.Fatalf("xorriso: %v\n%s", err, out)
	}
	f, err := os.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := readCatalog(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].platform != platformBIOS || entries[1].platform != platformEFI {
		t.Fatalf("xorriso's catalog reads as %+v", entries)
	}

	want := readAll(t, ref)[:mbrSize]
	got := hybridMBR(o.BIOS.MBRCode, hybridLayout{
		loader:     uint64(entries[0].lba) * 4,
		espStart:   entries[1].lba * 4,
		espSectors: uint32((fileSize(t, filepath.Join(dir, "boot/efi.img")) + 511) / 512),
		sectors:    uint32(fileSize(t, ref) / 512),
		signature:  binary.LittleEndian.Uint32(want[mbrSignature:]),
	})
	if !bytes.Equal(got, want) {
		t.Errorf("MBR differs from xorriso's:\n got %x\nwant %x", got[mbrCodeSize:], want[mbrCodeSize:])
	}
}

// TestGeometry checks CHS end addresses against those xorriso wrote for
// images of these sizes (cylinder alignment off).
func TestGeometry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sectors uint32
		want    []byte
	}{
		{10240, []byte{0x3f, 0x20, 0x04}},   // 5 MiB, 64 heads
		{9308, []byte{0x22, 0x1c, 0x04}},    // not a whole cylinder
		{2466908, []byte{0x1a, 0xdc, 0xf6}}, // 1.2 GiB: 76 heads
	}
	for _, tt := range tests {
		if got := geometryFor(tt.sectors).chs(tt.sectors - 1); !bytes.Equal(got, tt.want) {
			t.Errorf("%d sectors: end CHS %x, want %x", tt.sectors, got, tt.want)
		}
	}
	// 1 TiB: beyond CHS even with 255 heads, so the last cylinder.
	if got := geometryFor(1 << 31).chs(1<<31 - 1); !bytes.Equal(got, []byte{0xfe, 0xe0, 0xff}) {
		t.Errorf("1 TiB: end CHS %x, want fee0ff", got)
	}
}

func TestWriteRefuses(t *testing.T) {
	t.Parallel()
	dir, boot := bootTree(t)
	big := t.TempDir()
	f, err := os.Create(filepath.Join(big, "huge.img"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()

	short := *boot.BIOS
	short.MBRCode = short.MBRCode[:400]
	noLoader := *boot.BIOS
	noLoader.Loader = "isolinux/missing.bin"
	tests := []struct {
		name, dir string
		o         Options
		want      string
	}{
		{"lower-case label", dir, Options{Label: "kubexm"}, `label "kubexm"`},
		{"long label", dir, Options{Label: strings.Repeat("A", 33)}, "label"},
		{"file of 4 GiB", big, Options{Label: "BIG"}, "huge.img is 4294967296 bytes"},
		{"short MBR code", dir, Options{Label: "X", BIOS: &short}, "MBR code is 400 bytes"},
		{"missing loader", dir, Options{Label: "X", BIOS: &noLoader}, "BIOS loader"},
		{"missing ESP", dir, Options{Label: "X", EFI: &EFIBoot{Image: "efi.img"}}, "EFI image"},
		{"escaping ESP", dir, Options{Label: "X", EFI: &EFIBoot{Image: "../efi.img"}}, "not a clean"},
		{"missing tree", filepath.Join(big, "nothing"), Options{Label: "X"}, "staging"},
	}
	out := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(out, strings.ReplaceAll(tt.name, " ", "-")+".iso")
			err := Write(tt.dir, dst, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			if left, _ := filepath.Glob(dst + "*"); len(left) > 0 {
				t.Errorf("a failed write left %q", left)
			}
		})
	}
}

// A tree given with Consume makes the same image as a mirrored one, and is
// gone afterwards.
func TestConsumedTreeMakesTheSameImage(t *testing.T) {
	t.Parallel()
	dir, o := bootTree(t)
	out := t.TempDir()
	mirrored, consumed := filepath.Join(out, "mirrored.iso"), filepath.Join(out, "consumed.iso")
	if err := Write(dir, mirrored, o); err != nil {
		t.Fatal(err)
	}
	stage := filepath.Join(t.TempDir(), "stage")
	if err := os.Mkdir(stage, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := LinkTree(dir, stage, nil); err != nil {
		t.Fatal(err)
	}
	o.Consume = true
	if err := Write(stage, consumed, o); err != nil {
		t.Fatal(err)
	}
	assertSame(t, mirrored, consumed)
	if _, err := os.Stat(stage); !os.IsNotExist(err) {
		t.Errorf("the consumed tree is still there (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "isolinux/isolinux.bin")); err != nil {
		t.Errorf("the tree the stage was linked from lost a file: %v", err)
	}
}

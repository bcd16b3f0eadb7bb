package ospkg

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkPackISO packs a repository-like tree (256 files, 128 MiB)
// with PackISO and, beside it on the same tree, with xorriso, the tool a
// user would otherwise run (xorriso -as mkisofs -R).
func BenchmarkPackISO(b *testing.B) {
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(7, 8))
	const files, size = 256, 512 << 10
	for i := range files {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.IntN(256))
		}
		name := fmt.Sprintf("pool/p%02d/pkg%03d/pkg%03d_1.0-1_amd64.deb", i%16, i, i)
		writeFile(b, filepath.Join(dir, name), data)
	}
	out := b.TempDir()

	b.Run("kubexm", func(b *testing.B) {
		b.SetBytes(files * size)
		for i := 0; i < b.N; i++ {
			if err := PackISO(dir, filepath.Join(out, "k.iso"), VolumeLabel, fixedTime); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("xorriso", func(b *testing.B) {
		xorriso := needTool(b, "xorriso")
		b.SetBytes(files * size)
		for i := 0; i < b.N; i++ {
			dst := filepath.Join(out, "x.iso")
			os.Remove(dst)
			cmd := exec.Command(xorriso, "-as", "mkisofs", "-quiet", "-R", "-V", VolumeLabel,
				"-o", dst, dir)
			if msg, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("xorriso: %v\n%s", err, msg)
			}
		}
	})
}

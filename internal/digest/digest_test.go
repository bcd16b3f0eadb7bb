package digest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFileAndMatches(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if n, sum, err := File(p); err != nil || n != 3 || sum != abc {
		t.Errorf("File = %d, %s, %v", n, sum, err)
	}
	tests := []struct {
		name string
		path string
		size int64
		sum  string
		want bool
	}{
		{"match", p, 3, abc, true},
		{"any size", p, -1, abc, true},
		{"wrong size", p, 4, abc, false},
		{"wrong digest", p, 3, "00", false},
		{"a folder", filepath.Dir(p), -1, abc, false},
		{"missing", p + ".nope", -1, abc, false},
	}
	for _, tt := range tests {
		if got := Matches(tt.path, tt.size, tt.sum); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

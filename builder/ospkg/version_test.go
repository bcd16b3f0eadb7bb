package ospkg

import (
	"os/exec"
	"testing"
)

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		a, b string
		want int
	}{
		{"equal", "1.0", "1.0", 0},
		{"minor", "1.0", "1.1", -1},
		{"numbers by value", "1.10", "1.9", 1},
		{"leading zeros", "1.001", "1.1", 0},
		{"tilde before release", "1.0~rc1", "1.0", -1},
		{"tilde ordered", "1.0~rc1", "1.0~rc2", -1},
		{"double tilde", "1.0~~", "1.0~", -1},
		{"letter after end", "1.0a", "1.0", 1},
		{"plus after end", "1.0+b1", "1.0", 1},
		{"letters before symbols", "1.0a", "1.0+", -1},
		{"extra component", "1.0.0", "1.0", 1},
		{"epoch wins", "1:0.1", "2.0", 1},
		{"zero epoch", "0:1.0", "1.0", 0},
		{"revision", "1.0-1", "1.0-2", -1},
		{"missing revision is zero", "1.0", "1.0-0", 0},
		{"revision after upstream", "1.0-1", "1.0.1-1", -1},
		{"hyphen in upstream", "1.0-rc-1", "1.0-rc-2", -1},
		{"debian security update", "2.36-9+deb12u10", "2.36-9+deb12u9", 1},
		{"tcp wrappers", "7.6.q-31", "7.6-4~", 1},
		{"backport tilde", "1.2-1~bpo12+1", "1.2-1", -1},
	}
	dpkg, _ := exec.LookPath("dpkg")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := CompareVersions(tc.a, tc.b); got != tc.want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := CompareVersions(tc.b, tc.a); got != -tc.want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
			}
			if dpkg != "" { // the table itself, checked against dpkg's own order
				op := map[int]string{-1: "lt", 0: "eq", 1: "gt"}[tc.want]
				if err := exec.Command(dpkg, "--compare-versions", tc.a, op, tc.b).Run(); err != nil {
					t.Errorf("dpkg does not agree that %s %s %s", tc.a, op, tc.b)
				}
			}
		})
	}
}

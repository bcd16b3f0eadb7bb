package host

import (
	"bytes"
	"strings"
	"testing"
)

func TestPGIDFilter(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   string
		pgid   int
	}{
		{name: "marker first", writes: []string{pgidMarker + "42\nerr\n"}, want: "err\n", pgid: 42},
		{name: "split writes", writes: []string{"\x1ekub", "exm-pgid=7", "\nx", "y"},
			want: "xy", pgid: 7},
		{name: "rc noise before", writes: []string{"pyenv: oops\n" + pgidMarker + "9\nreal\n"},
			want: "pyenv: oops\nreal\n", pgid: 9},
		{name: "no marker", writes: []string{"just stderr"}, want: "just stderr"},
		{name: "no marker, long", writes: []string{strings.Repeat("x\n", headLimit)},
			want: strings.Repeat("x\n", headLimit)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			f := &pgidFilter{w: &out}
			for _, w := range tt.writes {
				if n, err := f.Write([]byte(w)); err != nil || n != len(w) {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			f.flush()
			if out.String() != tt.want || f.pgid() != tt.pgid {
				t.Errorf("got %q, pgid %d; want %q, pgid %d", out.String(), f.pgid(), tt.want, tt.pgid)
			}
		})
	}
}

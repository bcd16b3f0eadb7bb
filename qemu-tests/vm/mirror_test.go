package vm

import (
	"bufio"
	"strings"
	"testing"
)

func TestPickMirror(t *testing.T) {
	tests := []struct {
		name, oneLine, deb822, want string
	}{
		{
			name:    "one-line with options",
			oneLine: "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main\n",
			want:    "http://m.example/debian",
		},
		{
			name: "deb822 skips security and source stanzas",
			deb822: "Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n\n" +
				"Types: deb\nURIs: http://sec.example/debian-security\nSuites: bookworm-security\n\n" +
				"Types: deb\nURIs: http://m.example/debian/\nSuites: bookworm bookworm-updates\n",
			want: "http://m.example/debian",
		},
		{
			name:    "no source for the suite",
			oneLine: "deb http://m.example/debian trixie main\n",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sources := parseOneLine(bufio.NewScanner(strings.NewReader(tt.oneLine)))
			sources = append(sources, parseDeb822(bufio.NewScanner(strings.NewReader(tt.deb822)))...)

			got, err := pickMirror(sources, "bookworm")
			if tt.want == "" {
				if err == nil {
					t.Fatalf("pickMirror = %q, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("pickMirror = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

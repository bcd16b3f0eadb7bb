package redact

import "testing"

func TestRedactor(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{name: "nothing to blank", in: "echo hi", want: "echo hi"},
		{name: "one secret", secrets: []string{"hunter2"}, in: "pass=hunter2 again hunter2",
			want: "pass=****** again ******"},
		{name: "longer secret first", secrets: []string{"abc", "abcdef"}, in: "x abcdef y abc",
			want: "x ****** y ******"},
		{name: "empty secret ignored", secrets: []string{""}, in: "keep", want: "keep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := New(tt.secrets).String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestURL(t *testing.T) {
	tests := map[string]string{
		"https://u:p%40ss@mirror.test/k8s": "https://mirror.test/k8s",
		"https://TOKEN@mirror.test/x":      "https://mirror.test/x",
		"http://127.0.0.1:8080/a?b=c":      "http://127.0.0.1:8080/a?b=c",
		"://bad":                           "(unparsable URL)",
	}
	for in, want := range tests {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

package ospkg

import (
	"reflect"
	"testing"
)

func TestParseRelations(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		field string
		want  []Alternatives
		err   bool
	}{
		{"empty", "", nil, false},
		{"plain", "libc6", []Alternatives{{{Name: "libc6"}}}, false},
		{"versioned", "libc6 (>= 2.34), libmnl0 (>= 1.0.3-4~)", []Alternatives{
			{{Name: "libc6", Op: ">=", Version: "2.34"}},
			{{Name: "libmnl0", Op: ">=", Version: "1.0.3-4~"}}}, false},
		{"alternatives", "default-mta | mail-transport-agent", []Alternatives{
			{{Name: "default-mta"}, {Name: "mail-transport-agent"}}}, false},
		{"qualifier", "python3:any (>= 3.11~)", []Alternatives{
			{{Name: "python3", Qualifier: "any", Op: ">=", Version: "3.11~"}}}, false},
		{"strict less", "foo (<< 2.0)", []Alternatives{
			{{Name: "foo", Op: "<<", Version: "2.0"}}}, false},
		{"no spaces", "foo(=1.0)", []Alternatives{{{Name: "foo", Op: "=", Version: "1.0"}}},
			false},
		{"obsolete operator", "foo (< 2)", []Alternatives{
			{{Name: "foo", Op: "<=", Version: "2"}}}, false},
		{"arch list and profile", "foo [amd64] <!nocheck>, bar (>= 1) [i386]", []Alternatives{
			{{Name: "foo"}}, {{Name: "bar", Op: ">=", Version: "1"}}}, false},
		{"continuation", "a,\n b", []Alternatives{{{Name: "a"}}, {{Name: "b"}}}, false},
		{"unknown operator", "foo (!= 1)", nil, true},
		{"no version", "foo (>= )", nil, true},
		{"unclosed", "foo (>= 1", nil, true},
		{"empty alternative", "foo | ", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRelations(tc.field)
			if (err != nil) != tc.err {
				t.Fatalf("ParseRelations(%q) error = %v, want error %v", tc.field, err, tc.err)
			}
			if !tc.err && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseRelations(%q) = %#v, want %#v", tc.field, got, tc.want)
			}
		})
	}
}

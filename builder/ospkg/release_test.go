package ospkg

import (
	"bytes"
	"strings"
	"testing"
)

func TestReadKeyring(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	var binary bytes.Buffer
	if err := key.Serialize(&binary); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		err  bool
	}{
		{"binary, as in /usr/share/keyrings", binary.Bytes(), false},
		{"armored", publicKey(t, key), false},
		{"garbage", []byte("not a key"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			keys, err := ReadKeyring(tc.data)
			if (err != nil) != tc.err {
				t.Fatalf("error = %v, want error %v", err, tc.err)
			}
			if !tc.err && (len(keys) != 1 || keys[0].PrimaryKey.KeyId != key.PrimaryKey.KeyId) {
				t.Errorf("read %d keys, not the one written", len(keys))
			}
		})
	}
}

func TestParseRelease(t *testing.T) {
	t.Parallel()
	const sum = "cb4dc7861ce9908e6e9f851f41dfae2a19aa063a6074d0facb0359b7d1572128"
	cases := []struct {
		name string
		text string
		err  string
	}{
		{name: "good", text: "Suite: stable\nValid-Until: Tue, 08 Dec 2026 19:40:00 UTC\n" +
			"Architectures: amd64\nAcquire-By-Hash: yes\nSHA256:\n " + sum +
			"   138568 main/binary-all/Packages.xz\n"},
		{name: "no sums", text: "Suite: stable\n", err: "no SHA256 list"},
		{name: "bad sum line", text: "SHA256:\n " + sum + " main/binary-all/Packages.xz\n",
			err: "is not \"digest size path\""},
		{name: "short digest", text: "SHA256:\n abc 1 Packages\n", err: "digest size path"},
		{name: "bad date", text: "Valid-Until: someday\nSHA256:\n " + sum + " 1 P\n",
			err: "valid-until"},
		{name: "two paragraphs", text: "A: 1\n\nB: 2\n", err: "2 paragraphs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rel, err := parseRelease([]byte(tc.text))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := rel.Files["main/binary-all/Packages.xz"]
			if got.SHA256 != sum || got.Size != 138568 || !rel.ByHash ||
				rel.ValidUntil.Year() != 2026 {
				t.Errorf("parsed %+v", rel)
			}
		})
	}
}

package charts

import (
	"context"
	"path/filepath"
	"testing"
)

func TestPullFromRegistry(t *testing.T) {
	flannel := flannelChart(t)
	open, secure := startRegistry(t, false), startRegistry(t, true)
	for _, c := range append(corednsIfThere(), flannel) {
		open.push(t, c)
	}
	secure.push(t, flannel)

	tests := []struct {
		name  string
		needs func(*testing.T) string
		ref   Ref
		opts  Options
		want  string
	}{
		{name: "plain HTTP, name from the URL",
			ref:  Ref{OCI: "oci://" + open.host + "/charts/flannel", Version: "v0.28.9"},
			opts: Options{PlainHTTP: true}, want: "helm/flannel/v0.28.9/flannel-v0.28.9.tgz"},
		{name: "coredns", needs: corednsChart,
			ref:  Ref{OCI: "oci://" + open.host + "/charts/coredns", Version: "1.46.2"},
			opts: Options{PlainHTTP: true}, want: "helm/coredns/1.46.2/coredns-1.46.2.tgz"},
		{name: "TLS from a private CA, basic auth",
			ref: Ref{Name: "flannel", OCI: "oci://" + secure.host + "/charts/flannel",
				Version: "v0.28.9"},
			opts: Options{CAFile: secure.caFile, Username: "kubexm", Password: "secret"},
			want: "helm/flannel/v0.28.9/flannel-v0.28.9.tgz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needs != nil {
				tc.needs(t)
			}
			root := t.TempDir()
			var reported int64
			tc.opts.Progress = func(_ string, done, _ int64) { reported = done }

			got, err := Pull(context.Background(), tc.ref, root, tc.opts)
			if err != nil {
				t.Fatal(err)
			}

			if want := filepath.Join(root, tc.want); got != want {
				t.Errorf("path = %s, want %s", got, want)
			}
			if err := checkArchive(got, Ref{Name: filepath.Base(filepath.Dir(filepath.Dir(got))),
				Version: tc.ref.Version}); err != nil {
				t.Error(err)
			}
			if reported == 0 {
				t.Error("no progress was reported")
			}
			if fs := files(t, root); len(fs) != 1 {
				t.Errorf("files in the bundle = %v, want only the archive", fs)
			}
		})
	}
}

func TestPullFromRegistryFailures(t *testing.T) {
	open, secure := startRegistry(t, false), startRegistry(t, true)
	open.push(t, flannelChart(t))
	secure.push(t, flannelChart(t))
	flannel := "oci://" + open.host + "/charts/flannel"
	private := "oci://" + secure.host + "/charts/flannel"

	tests := []struct {
		name string
		ref  Ref
		opts Options
		is   error
		want []string
	}{
		{name: "tag missing", ref: Ref{OCI: flannel, Version: "v0.28.8"},
			opts: Options{PlainHTTP: true}, is: ErrNotFound,
			want: []string{"chart flannel v0.28.8 from " + flannel, "the registry has no such tag"}},
		{name: "repository missing", ref: Ref{OCI: "oci://" + open.host + "/charts/calico",
			Version: "v3.32.1"}, opts: Options{PlainHTTP: true}, is: ErrNotFound,
			want: []string{"chart calico v3.32.1"}},
		{name: "no credentials", ref: Ref{OCI: private, Version: "v0.28.9"},
			opts: Options{CAFile: secure.caFile},
			want: []string{"chart flannel v0.28.9", "asks for credentials (401)"}},
		{name: "wrong password", ref: Ref{OCI: private, Version: "v0.28.9"},
			opts: Options{CAFile: secure.caFile, Username: "kubexm", Password: "guess"},
			want: []string{"chart flannel v0.28.9", "refused the credentials", "401"}},
		{name: "CA not trusted", ref: Ref{OCI: private, Version: "v0.28.9"},
			opts: Options{Username: "kubexm", Password: "secret"},
			want: []string{"chart flannel v0.28.9", "certificate"}},
		{name: "registry unreachable", ref: Ref{OCI: "oci://" + freeAddr(t) + "/charts/flannel",
			Version: "v0.28.9"}, opts: Options{PlainHTTP: true},
			want: []string{"chart flannel v0.28.9", "refused"}},
		{name: "not an oci URL", ref: Ref{OCI: open.host + "/charts/flannel", Version: "v0.28.9"},
			want: []string{"must read oci://host/path/name"}},
		{name: "oci URL without a path", ref: Ref{Name: "flannel", OCI: "oci://" + open.host,
			Version: "v0.28.9"}, want: []string{"must read oci://host/path/name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()

			_, err := Pull(context.Background(), tc.ref, root, tc.opts)
			if err == nil {
				t.Fatal("pull succeeded")
			}

			checkFailure(t, err, tc.is, tc.want, root)
		})
	}
}

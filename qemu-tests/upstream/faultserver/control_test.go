package faultserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestControl(t *testing.T) {
	t.Parallel()

	root, _ := testFiles(t)
	ts := httptest.NewServer(New(root).Handler())
	defer ts.Close()
	file := ts.URL + "/release/v1/bin/tool"

	steps := []struct {
		name   string
		method string
		query  string
		body   string
		status int // of the control request
		file   int // of the GET of the file after it
	}{
		{"set 429", http.MethodPut, "", `{"path":"/release/v1/bin/tool",` +
			`"fault":{"failFirst":5,"failStatus":429}}`, http.StatusNoContent, 429},
		{"clear the path", http.MethodDelete, "?path=/release/v1/bin/tool", "",
			http.StatusNoContent, 200},
		{"set 500 again", http.MethodPut, "", `{"path":"/release/v1/bin/tool",` +
			`"fault":{"failFirst":5}}`, http.StatusNoContent, 500},
		{"clear all", http.MethodDelete, "", "", http.StatusNoContent, 200},
		{"no path", http.MethodPut, "", `{"fault":{"failFirst":5}}`, http.StatusBadRequest, 200},
		{"not json", http.MethodPut, "", `nope`, http.StatusBadRequest, 200},
		{"get refused", http.MethodGet, "", "", http.StatusMethodNotAllowed, 200},
	}
	for _, st := range steps {
		req, err := http.NewRequest(st.method, ts.URL+ControlPath+st.query,
			strings.NewReader(st.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != st.status {
			t.Errorf("%s: control answered %d, want %d", st.name, resp.StatusCode, st.status)
		}
		if a := get(t, http.MethodGet, file, nil); a.status != st.file {
			t.Errorf("%s: file answered %d, want %d", st.name, a.status, st.file)
		}
	}
}

package faultserver

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// ControlPath is where Handler takes fault settings over HTTP, for tests that run in
// another process than the server (a script against the serve command, a VM).
const ControlPath = "/-/faults"

// Setting is the body of a PUT to ControlPath: the fault to set on a path.
type Setting struct {
	Path  string `json:"path"`
	Fault Fault  `json:"fault"`
}

// Handler serves the files, and at ControlPath takes fault settings: PUT a Setting as JSON
// to set one, DELETE with ?path=P to clear one, DELETE without a path to clear all.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(ControlPath, s.control)
	mux.Handle("/", s)
	return mux
}

func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPut:
		var set Setting
		if err := json.NewDecoder(r.Body).Decode(&set); err != nil || set.Path == "" {
			http.Error(w, fmt.Sprintf("reading fault setting: a JSON body with a path "+
				"is needed (%v)", err), http.StatusBadRequest)
			return
		}
		s.SetFault(set.Path, set.Fault)
	case http.MethodDelete:
		if p := r.URL.Query().Get("path"); p != "" {
			s.ClearFault(p)
		} else {
			s.ClearFaults()
		}
	default:
		http.Error(w, "method not allowed: PUT or DELETE", http.StatusMethodNotAllowed)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

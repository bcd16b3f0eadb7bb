package preflight

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
)

// Verdict is the result of one check on one host.
type Verdict string

// The verdicts a check can give.
const (
	Pass Verdict = "pass"
	// Warn passes the check but tells the operator something it will change
	// or that deserves a look.
	Warn Verdict = "warn"
	Fail Verdict = "FAIL"
)

// Result is one check's verdict on one host, with what it found.
type Result struct {
	Host    string  `json:"host"`
	Check   string  `json:"check"`
	Verdict Verdict `json:"verdict"`
	Detail  string  `json:"detail"`
}

// Report collects the results of a preflight run. Steps add to it from many
// goroutines; the CLI prints it when the run ends, whether or not it failed.
type Report struct {
	mu      sync.Mutex
	results []Result
	hosts   []string // in config order, for the table
}

func newReport(hosts []string) *Report { return &Report{hosts: hosts} }

func (r *Report) add(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, res)
}

// Results returns the results, host by host in config order, each host's in
// the order the checks ran.
func (r *Report) Results() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.results)
	slices.SortStableFunc(out, func(a, b Result) int {
		return slices.Index(r.hosts, a.Host) - slices.Index(r.hosts, b.Host)
	})
	return out
}

// Failed returns the results that failed.
func (r *Report) Failed() []Result {
	var out []Result
	for _, res := range r.Results() {
		if res.Verdict == Fail {
			out = append(out, res)
		}
	}
	return out
}

// WriteTable writes one table per host: each check, its verdict and what it
// found.
func (r *Report) WriteTable(w io.Writer) error {
	results := r.Results()
	for _, h := range r.hosts {
		fmt.Fprintf(w, "\nhost %s\n", h)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  CHECK\tRESULT\tDETAIL")
		n := 0
		for _, res := range results {
			if res.Host == h {
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", res.Check, res.Verdict, res.Detail)
				n++
			}
		}
		if n == 0 {
			fmt.Fprintln(tw, "  (no checks ran)\t\t")
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// summary names the failed checks per host, for the run's error.
func summary(failed []Result) string {
	byHost := map[string][]string{}
	var hosts []string
	for _, f := range failed {
		if _, ok := byHost[f.Host]; !ok {
			hosts = append(hosts, f.Host)
		}
		byHost[f.Host] = append(byHost[f.Host], f.Check)
	}
	var parts []string
	for _, h := range hosts {
		parts = append(parts, fmt.Sprintf("%s (%s)", h, strings.Join(byHost[h], ", ")))
	}
	return strings.Join(parts, "; ")
}

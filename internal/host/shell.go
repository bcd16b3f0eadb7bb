package host

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// quote makes s one word for a POSIX shell.
func quote(s string) string {
	if s != "" && safeWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

var safeWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// quoteArgs joins argv into a shell command line that runs it as it is.
func quoteArgs(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = quote(a)
	}
	return strings.Join(words, " ")
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// exports renders env as shell exports to put before a command. sshd
// usually refuses the setenv request (AcceptEnv), and sudo resets the
// environment, so the variables travel inside the command line instead.
func exports(env map[string]string) (string, error) {
	keys := make([]string, 0, len(env))
	for k := range env {
		if !envName.MatchString(k) {
			return "", fmt.Errorf("environment variable name %q is not valid", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "export %s=%s; ", k, quote(env[k]))
	}
	return b.String(), nil
}

// sudoMode is how a host runs a command as root.
type sudoMode int

const (
	sudoNone     sudoMode = iota // the login user is root: run as it is
	sudoNoPass                   // sudo needs no password (NOPASSWD)
	sudoPassword                 // sudo reads the password on stdin
)

// argv is the program and arguments that run the shell command line inner,
// through sudo as mode says.
func argv(inner string, mode sudoMode) []string {
	shell := []string{"sh", "-c", inner}
	switch mode {
	case sudoNoPass:
		return append([]string{"sudo", "-n", "--"}, shell...)
	case sudoPassword:
		// -k ignores cached credentials, so sudo always reads exactly one
		// password line and the command's own input follows it untouched.
		return append([]string{"sudo", "-k", "-S", "-p", "", "--"}, shell...)
	default:
		return shell
	}
}

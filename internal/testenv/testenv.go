// Package testenv says what a test does when a part it needs is not on this
// machine (a tool, a package, root): it skips on a developer's machine and
// fails under CI (CI=true), where every part must be there, so that a test
// that did not run never passes as green.
package testenv

import (
	"os"
	"testing"
)

// CI reports whether the tests run under CI.
func CI() bool { return os.Getenv("CI") == "true" }

// Missing stops the test for a missing part, with the message: a skip, or
// under CI a failure.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if CI() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

package sshtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// The non-root user that tests log in as to exercise password login and
// sudo. Its sudo rights require its password.
const (
	TestUser     = "kubexm-test"
	TestPassword = "kx-test-Secret-4f1c9a"
)

const sudoersFile = "/etc/sudoers.d/kubexm-test"

// RequireTestUser makes sure TestUser exists, as Options.TestUser does,
// for tests that use the user without a server. It skips the test where
// the user cannot be made, or fails it when CI=true.
func RequireTestUser(t testing.TB) {
	t.Helper()
	if err := ensureTestUser(); err != nil {
		skipOrFail(t, "no non-root test user: "+err.Error())
	}
}

// ensureTestUser creates TestUser once per test binary; an flock keeps test
// binaries that run at the same time from racing on useradd.
var ensureTestUser = sync.OnceValue(func() error {
	if os.Geteuid() != 0 {
		return errors.New("creating user " + TestUser + " needs root")
	}
	if _, err := exec.LookPath("sudo"); err != nil {
		return fmt.Errorf("sudo is not installed: %w", err)
	}

	unlock, err := lockFile("/run/lock/kubexm-sshtest.lock")
	if err != nil {
		return err
	}
	defer unlock()
	return createTestUser()
})

func createTestUser() error {
	if _, err := user.Lookup(TestUser); err != nil {
		out, err := exec.Command("useradd", "-m", "-s", "/bin/bash", TestUser).CombinedOutput()
		if err != nil && !strings.Contains(string(out), "already exists") {
			return fmt.Errorf("useradd %s: %w: %s", TestUser, err, out)
		}
	}

	chpasswd := exec.Command("chpasswd")
	chpasswd.Stdin = strings.NewReader(TestUser + ":" + TestPassword + "\n")
	if out, err := chpasswd.CombinedOutput(); err != nil {
		return fmt.Errorf("setting the password of %s: %w: %s", TestUser, err, out)
	}

	rule := TestUser + " ALL=(ALL:ALL) ALL\n"
	tmp := sudoersFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(rule), 0o440); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, sudoersFile); err != nil {
		return fmt.Errorf("writing %s: %w", sudoersFile, err)
	}
	return nil
}

// lockFile takes an exclusive flock on path until unlock is called.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

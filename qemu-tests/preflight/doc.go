// Package preflight holds the end-to-end test of `kubexm preflight` against
// Debian 12 hosts booted under QEMU (see qemu-tests/vm). It runs in make
// e2e, behind the e2e build tag.
package preflight

// Package vm boots Debian 12 machines under QEMU for kubexm's end-to-end
// tests: real hosts with systemd, cgroup v2 and their own kernel, on a
// private network with no way out, as at an air-gapped site.
//
// The host image is built once with debootstrap from the Debian mirror in the
// test machine's apt sources and cached by its inputs (see BuildImage). Each
// VM boots a copy-on-write overlay of it, so a run never alters the image.
// Start boots one VM, StartN boots several on one private network; both stop
// and clean up the VMs when the test ends.
//
// The tests that boot VMs carry the build tag e2e and run from make e2e.
package vm

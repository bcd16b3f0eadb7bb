// Package maketar holds the end-to-end test of kubexm-builder make-tar
// against the upstream mirror of qemu-tests/upstream (real builds of every
// component), with a QEMU host of qemu-tests/vm installing the bundle's OS
// packages from its ISO image. It runs in make e2e, behind the e2e tag.
package maketar

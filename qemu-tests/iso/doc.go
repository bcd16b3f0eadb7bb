// Package iso holds the end-to-end test of the bootable ISO: make-tar
// --format iso against the upstream mirror, the image's tree checked
// against its manifest with xorriso, two builds compared byte for byte,
// the seed booted four ways (CD and USB stick, BIOS and UEFI) to the
// installer's banner, and, on the private network of two target VMs, the
// seed's installer running preflight against them over SSH: passing with
// the right pinned host keys, refusing and naming the host with a wrong
// one. It runs with `make e2e` (build tag e2e) and needs the mirror's
// warm cache (go run ./qemu-tests/upstream build).
package iso
